"""``kelisim ask`` and ``kelisim chat``: the engine in a terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import console, ensure_index, settings
from bot.models import Decision, Lang, Question, Reply, Suggestion, Turn

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        "-l",
        help="Answer in this language (kk, ru or en) instead of the detected one.",
        case_sensitive=False,
    ),
]

_COLOURS = {
    Decision.ANSWER: "green",
    Decision.CLARIFY: "yellow",
    Decision.NO_ANSWER: "yellow",
    Decision.REFUSE: "red",
    Decision.CRISIS: "magenta",
    Decision.REDIRECT: "cyan",
    Decision.OUT_OF_SCOPE: "blue",
}


def _lang(value: str | None) -> Lang | None:
    if value is None:
        return None
    value = value.lower()
    if value not in ("kk", "ru", "en"):
        raise typer.BadParameter("use kk, ru or en", param_hint="--lang")
    return value  # type: ignore[return-value]


def _show(reply: Reply, explain: bool) -> None:
    colour = _COLOURS[reply.decision]
    console.print(
        f"[bold {colour}]{reply.decision.value}[/] [dim]{reply.category} · "
        f"{reply.language} · {reply.latency_ms:.0f} ms[/]"
    )
    console.print(escape(reply.text))
    if explain:
        console.print("[dim]" + escape("\n".join(reply.explanation)) + "[/]")


def _picked(command: str, offered: list[Suggestion]) -> Suggestion | None:
    """The suggestion a bare number picks, if the last reply offered any."""
    if command.isdigit() and 1 <= int(command) <= len(offered):
        return offered[int(command) - 1]
    return None


def ask(
    text: Annotated[str, typer.Argument(help="The question, in quotes.")],
    lang: LangOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Show which rule, class probabilities and answer units decided."
        ),
    ] = False,
) -> None:
    """Answer one question.

    Example: `kelisim ask "Зайырлы мемлекет деген не?" --json`
    """
    s = settings()
    ensure_index(s)
    from bot.engine import get_engine

    reply = get_engine(s).answer(Question(text, lang=_lang(lang), explain=explain))
    if as_json:
        typer.echo(json.dumps(reply.as_dict(explain=explain), ensure_ascii=False))
    else:
        _show(reply, explain)


def chat(
    lang: LangOption = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show why after each reply.")] = False,
) -> None:
    """Talk to Kelisim in the terminal. `/reset` clears the memory, `/quit` leaves.

    After a reply that offers numbered questions ("Did you mean…?", "You might also
    ask…"), type a number to get that answer.
    """
    s = settings()
    ensure_index(s)
    from bot.engine import get_engine

    engine = get_engine(s)
    with console.status("Loading…"):
        engine.warm_up()
    history: list[Turn] = []
    offered: list[Suggestion] = []
    offered_lang: Lang = "en"
    console.print(
        "[bold]Kelisim[/] — ask about religion, the secular state, traditional "
        "values or manipulation, in Kazakh, Russian or English. "
        "[dim]/reset clears the memory, /quit leaves.[/]"
    )
    while True:
        try:
            text = console.input("[bold cyan]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        command = text.strip().lower()
        if command in ("/quit", "/exit", "/q"):
            return
        if command == "/reset":
            history.clear()
            console.print("[dim]Memory cleared.[/]")
            continue
        picked = _picked(command, offered)
        if picked is not None:
            reply = engine.answer_unit(picked.unit_id, offered_lang, tuple(history))
            text = picked.question
        else:
            reply = engine.answer(
                Question(
                    text,
                    lang=_lang(lang),
                    # As the bot uses the user's chosen language: a blank or unclear line
                    # is answered in the language the conversation is in.
                    preferred_lang=offered_lang if history else None,
                    history=tuple(history),
                    explain=explain,
                )
            )
        _show(reply, explain)
        offered, offered_lang = reply.suggestions, reply.language
        history.extend([Turn("user", text), Turn("assistant", reply.body, tuple(reply.units))])
        del history[: max(0, len(history) - s.history_turns)]
