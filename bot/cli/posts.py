"""``kelisim check`` and ``kelisim learn``: "check this post" and the micro-lessons."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.chat import LangOption, _lang
from bot.cli.common import console, ensure_index, err_console, settings
from bot.models import Lang

# A file is read when the argument names one; beyond this it is not a post.
MAX_FILE_BYTES = 256 * 1024


def _post_text(text_or_file: str) -> str:
    if text_or_file == "-":
        return sys.stdin.read()
    path = Path(text_or_file)
    try:
        is_file = len(text_or_file) < 1024 and "\n" not in text_or_file and path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return text_or_file
    if path.stat().st_size > MAX_FILE_BYTES:
        raise typer.BadParameter(f"{path} is larger than 256 KB: that is not a post")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise typer.BadParameter(f"{path} is not UTF-8 text") from None


def check(
    text_or_file: Annotated[
        str, typer.Argument(help="The post's text in quotes, a UTF-8 text file, or - for stdin.")
    ],
    lang: LangOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the detector's probabilities and cues.")
    ] = False,
) -> None:
    """Check a post for manipulation techniques, as the bot does with a forwarded post.

    Names the techniques from the fixed taxonomy (us-vs-them, takfir, false-authority,
    out-of-context, urgency-fear, secrecy-isolation, love-bombing, conspiracy,
    grievance-violence, call-to-act), each with one question to ask back; says when
    a post is neutral. `--json` prints `{"verdict", "techniques", "language", "reply",
    "sources", "routing"}`.

    Example: `kelisim check "Не говори родителям, время уходит!" --json`
    """
    s = settings()
    ensure_index(s)
    from bot.engine import get_engine

    result = get_engine(s).check(_post_text(text_or_file), lang=_lang(lang))
    if as_json:
        typer.echo(json.dumps(result.as_dict(explain=explain), ensure_ascii=False))
        return
    colour = {"manipulative": "red", "neutral": "green"}[result.verdict]
    tags = ", ".join(result.techniques) or "no techniques"
    console.print(
        f"[bold {colour}]{result.verdict}[/] [dim]{tags} · {result.routing} · "
        f"{result.language} · {result.latency_ms:.0f} ms[/]"
    )
    console.print(escape(result.reply))
    if explain:
        console.print("[dim]" + escape("\n".join(result.explanation)) + "[/]")


def learn(
    technique: Annotated[
        str | None,
        typer.Argument(help="A technique id (e.g. secrecy-isolation). Without it: the list."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Take a short lesson on one manipulation technique: explanation, example, quiz.

    Without an argument, lists the published lessons. With one, shows the lesson
    and asks its quiz question: type the number of your answer.

    Example: `kelisim learn secrecy-isolation --lang ru`
    """
    from bot.engine.prompts import load_prompts
    from bot.posts.lessons import load_lessons

    s = settings()
    book = load_lessons(s.lessons_dir)
    prompts = load_prompts(s.prompts_dir)
    reply_lang: Lang = _lang(lang) or "en"
    order = book.techniques()
    if not order:
        console.print(prompts.text(reply_lang, "learn_none"))
        return
    if technique is None:
        console.print(prompts.text(reply_lang, "learn_intro"))
        for i, tid in enumerate(order, 1):
            lesson = book.get(tid, reply_lang)
            assert lesson is not None
            console.print(f"  {i:>2}. [bold]{tid}[/] — {escape(lesson.title)}")
        return
    lesson = book.get(technique, reply_lang)
    if lesson is None:
        err_console.print(f"[red]No published lesson {technique!r}.[/] Lessons: {', '.join(order)}")
        raise typer.Exit(2)
    console.print(f"[bold]{escape(lesson.title)}[/]\n")
    console.print(escape(lesson.explain) + "\n")
    console.print(f"[dim]{escape(prompts.text(reply_lang, 'learn_example_heading'))}[/]")
    console.print(escape(lesson.example) + "\n")
    console.print(f"[bold]{escape(prompts.text(reply_lang, 'learn_question_heading'))}[/]")
    console.print(escape(lesson.question))
    for i, option in enumerate(lesson.options, 1):
        console.print(f"  {i}. {escape(option.text)}")
    while True:
        try:
            raw = console.input("> ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if raw.strip().isdigit() and 1 <= int(raw) <= len(lesson.options):
            break
        console.print(f"[dim]1–{len(lesson.options)}[/]")
    picked = lesson.options[int(raw) - 1]
    verdict = "learn_right" if picked.correct else "learn_wrong"
    console.print(f"{escape(prompts.text(reply_lang, verdict))} {escape(picked.feedback)}")
    if not picked.correct:
        right = lesson.options[lesson.correct]
        console.print(f"[green]✓ {escape(right.text)}[/] {escape(right.feedback)}")
    console.print(
        "\n"
        + "\n".join(f"[{n}] {escape(x.title)} — {x.url}" for n, x in enumerate(lesson.sources, 1))
    )
