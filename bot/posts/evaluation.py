"""Scoring the post checker on labelled posts (``kelisim eval posts``).

The figures the issue's targets are stated in, per language: a manipulative
post gets at least one correct technique; neutral posts (religious ones
included) flagged; calls to violence or recruitment that got the safety
routing. And per technique: precision and recall.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from bot.models import LANGS
from bot.posts.dataset import LabelledPost
from bot.posts.taxonomy import TECHNIQUES


class Outcome(Protocol):
    """What a scored check said about a post (a Detection or a PostCheck)."""

    @property
    def manipulative(self) -> bool: ...
    @property
    def techniques(self) -> tuple[str, ...]: ...
    @property
    def safety(self) -> bool: ...


def _rate(values: list[bool]) -> float | None:
    return float(np.mean(values)) if values else None


def score(posts: Sequence[LabelledPost], outcomes: Sequence[Outcome]) -> dict[str, object]:
    """Per-language and per-technique figures for ``outcomes`` against ``posts``."""
    pairs = list(zip(posts, outcomes, strict=True))
    per_lang: dict[str, dict[str, object]] = {}
    for lang in (*LANGS, "all"):
        mine = [(p, o) for p, o in pairs if lang == "all" or p.lang == lang]
        manip = [(p, o) for p, o in mine if p.manipulative]
        neutral = [o for p, o in mine if not p.manipulative]
        safety = [o for p, o in mine if p.safety]
        per_lang[lang] = {
            "posts": len(mine),
            "manipulative_with_correct_technique": _rate(
                [o.manipulative and bool(set(o.techniques) & set(p.techniques)) for p, o in manip]
            ),
            "manipulative_detected": _rate([o.manipulative for _, o in manip]),
            "neutral_flagged": _rate([o.manipulative for o in neutral]),
            "safety_routed": _rate([o.safety for o in safety]),
            # Help lines under a manipulative post that does not call for violence:
            # not wrong, but noise when it is most posts.
            "help_lines_without_call": _rate([o.safety for p, o in manip if not p.safety]),
            "safety_posts": len(safety),
            "neutral_posts": len(neutral),
        }
    per_technique: dict[str, dict[str, float | int | None]] = {}
    for tid in TECHNIQUES:
        truth = [tid in p.techniques for p, _ in pairs]
        got = [tid in o.techniques for _, o in pairs]
        tp = sum(t and g for t, g in zip(truth, got, strict=True))
        per_technique[tid] = {
            "labelled": sum(truth),
            "named": sum(got),
            "precision": tp / sum(got) if sum(got) else None,
            "recall": tp / sum(truth) if sum(truth) else None,
        }
    return {"per_language": per_lang, "per_technique": per_technique}


def render(result: dict[str, object], title: str) -> str:
    """A plain-text table of :func:`score`'s result."""

    def pct(v: object) -> str:
        return "—" if v is None else f"{float(v) * 100:5.1f}%"  # type: ignore[arg-type]

    lines = [
        title,
        "",
        "language  posts  ≥1 correct technique  neutral flagged  safety routed"
        "  help lines w/o call",
    ]
    per_lang = result["per_language"]
    assert isinstance(per_lang, dict)
    for lang, row in per_lang.items():
        lines.append(
            f"{lang:<8}  {row['posts']:>5}  {pct(row['manipulative_with_correct_technique']):>20}"
            f"  {pct(row['neutral_flagged']):>15}  {pct(row['safety_routed']):>13}"
            f"  {pct(row['help_lines_without_call']):>19}"
        )
    lines += ["", "technique            labelled  named  precision  recall"]
    per_technique = result["per_technique"]
    assert isinstance(per_technique, dict)
    for tid, row in per_technique.items():
        lines.append(
            f"{tid:<20} {row['labelled']:>8}  {row['named']:>5}  {pct(row['precision']):>9}"
            f"  {pct(row['recall']):>6}"
        )
    return "\n".join(lines)
