"""Replies that come from templates rather than from the corpus."""

from __future__ import annotations

from bot.engine.prompts import Prompts
from bot.engine.retrieval import DocInfo
from bot.models import Decision, Lang


def templated(prompts: Prompts, decision: Decision, category: str, lang: Lang) -> str:
    """The reply for a refusal, crisis, redirect or out-of-scope decision."""
    if decision is Decision.CRISIS:
        lines = "\n".join(f"• {line}" for line in prompts.helpline_lines(lang))
        return prompts.text(
            lang, "crisis", helplines=lines or prompts.text(lang, "crisis_no_lines")
        )
    key = {
        Decision.REFUSE: "refuse",
        Decision.REDIRECT: "redirect",
        Decision.OUT_OF_SCOPE: "out_of_scope",
        Decision.ANSWER: "greeting",
    }[decision]
    by_category = prompts.value(lang, f"{key}_by_category") or {}
    detail = by_category.get(category) or by_category.get("default", "")
    return prompts.text(lang, key, detail=detail.strip())


def no_answer(prompts: Prompts, lang: Lang, topics: list[DocInfo], limit: int = 6) -> str:
    """The honest reply when no vetted source covers the question."""
    suggestions = "\n".join(f"• {d.title}" for d in topics[:limit])
    return prompts.text(lang, "no_answer", topics=suggestions)


def sources_block(prompts: Prompts, lang: Lang, cited: list[DocInfo]) -> str:
    lines = [f"[{n}] {d.title} — {d.url}" for n, d in enumerate(cited, 1)]
    return prompts.text(lang, "sources_heading") + "\n" + "\n".join(lines)
