"""Replies that come from templates rather than from the corpus."""

from __future__ import annotations

from bot.engine.prompts import Prompts
from bot.models import Decision, Lang, Source, Suggestion


def templated(prompts: Prompts, decision: Decision, category: str, lang: Lang) -> str:
    """The reply for a refusal, crisis, redirect or out-of-scope decision."""
    if decision is Decision.CRISIS:
        return _crisis_text(prompts, "crisis", category, lang)
    key = {
        Decision.REFUSE: "refuse",
        Decision.REDIRECT: "redirect",
        Decision.OUT_OF_SCOPE: "out_of_scope",
        Decision.ANSWER: "greeting",
    }[decision]
    by_category = prompts.value(lang, f"{key}_by_category") or {}
    detail = by_category.get(category) or by_category.get("default", "")
    return prompts.text(lang, key, detail=detail.strip())


def crisis_brief(prompts: Prompts, category: str, lang: Lang) -> str:
    """The short help block that leads a crisis reply which also answers a question."""
    return _crisis_text(prompts, "crisis_brief", category, lang)


def _crisis_text(prompts: Prompts, key: str, category: str, lang: Lang) -> str:
    """A crisis template with the help lines and what fits this kind of crisis.

    The fitting advice (a stranger asking for secrecy, a friend being drawn in,
    bullying…) goes right after the first, warm line; a kind without any leaves no
    empty line behind.
    """
    lines = "\n".join(f"• {line}" for line in prompts.helpline_lines(lang))
    by_kind = prompts.value(lang, "crisis_by_category") or {}
    detail = str(by_kind.get(category) or by_kind.get("default") or "").strip()
    text = prompts.text(
        lang, key, helplines=lines or prompts.text(lang, "crisis_no_lines"), detail=detail
    )
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def no_answer(prompts: Prompts, lang: Lang, topics: list[str], limit: int = 5) -> str:
    """The honest reply when no vetted source covers the question (topics in ``lang``)."""
    listed = "\n".join(f"• {title}" for title in topics[:limit])
    return prompts.text(lang, "no_answer", topics=listed)


def no_answer_near(prompts: Prompts, lang: Lang, suggestions: list[Suggestion]) -> str:
    """ "Not covered" with the nearest questions the corpus does answer (buttons in Telegram)."""
    listed = "\n".join(f"{n}. {s.question}" for n, s in enumerate(suggestions, 1))
    return prompts.text(lang, "no_answer_near", questions=listed)


def clarify(prompts: Prompts, lang: Lang, suggestions: list[Suggestion]) -> str:
    """ "Did you mean…?" with numbered unit questions (buttons in Telegram)."""
    listed = "\n".join(f"{n}. {s.question}" for n, s in enumerate(suggestions, 1))
    return prompts.text(lang, "clarify", questions=listed)


def related_block(prompts: Prompts, lang: Lang, suggestions: list[Suggestion]) -> str:
    listed = "\n".join(f"{n}. {s.question}" for n, s in enumerate(suggestions, 1))
    return f"{prompts.text(lang, 'related_heading')}\n{listed}"


def sources_block(prompts: Prompts, lang: Lang, sources: list[Source]) -> str:
    lines = [f"[{n}] {s.title} — {s.url}" for n, s in enumerate(sources, 1)]
    return prompts.text(lang, "sources_heading") + "\n" + "\n".join(lines)
