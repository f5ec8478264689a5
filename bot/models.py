"""The data that flows through the engine: Question in, Reply out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Lang = Literal["kk", "ru", "en"]
LANGS: tuple[Lang, ...] = ("kk", "ru", "en")


class Decision(StrEnum):
    """What the engine decided to do with a message."""

    ANSWER = "answer"
    CLARIFY = "clarify"  # "Did you mean …?": close units, none sure enough to quote
    NO_ANSWER = "no_answer"
    REFUSE = "refuse"
    CRISIS = "crisis"
    REDIRECT = "redirect"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str
    units: tuple[str, ...] = ()  # answer units an assistant turn quoted


@dataclass(frozen=True, slots=True)
class Question:
    """A young person's message with what the engine needs to answer it.

    ``lang`` forces the reply language (``--lang``); ``preferred_lang`` is the
    user's chosen language, which wins over detection only on very short or
    ambiguous messages. ``history`` holds the last few turns, oldest first.
    """

    text: str
    lang: Lang | None = None
    preferred_lang: Lang | None = None
    history: tuple[Turn, ...] = ()
    explain: bool = False


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved piece of a published corpus document.

    ``score`` is the plain cosine similarity to the question (what the relevance
    threshold is calibrated on); ``rank`` is the language-centred score of the
    passage's document group, which orders results across languages.
    """

    id: str
    doc_id: str
    group: str
    lang: Lang
    title: str
    url: str
    text: str
    score: float
    section: str = ""
    rank: float = 0.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A question the user can pick next: a unit's heading in the user's language."""

    unit_id: str
    question: str

    def as_dict(self) -> dict[str, str]:
        return {"unit": self.unit_id, "question": self.question}


@dataclass(frozen=True, slots=True)
class Source:
    """A public source of a quoted answer unit, as shown to the user."""

    id: str
    title: str
    url: str
    lang: Lang

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "url": self.url, "lang": self.lang}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The safety policy's decision on a message, with the evidence behind it."""

    decision: Decision
    category: str
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class Reply:
    """What the engine answers.

    ``text`` is the whole plain-text reply (with ``[n]`` citation markers and the
    source list); ``body`` is the same without the source list, for front ends
    that render ``sources`` themselves.
    """

    decision: Decision
    category: str
    language: Lang
    text: str
    sources: list[Source] = field(default_factory=list)
    body: str = ""
    latency_ms: float = 0.0
    generator: str = "none"
    notices: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    topic: str | None = None
    units: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The JSON shape of ``kelisim ask --json``."""
        out: dict[str, Any] = {
            "decision": self.decision.value,
            "language": self.language,
            "reply": self.text,
            "sources": [s.as_dict() for s in self.sources],
            "category": self.category,
            "units": list(self.units),
            "suggestions": [s.as_dict() for s in self.suggestions],
            "latency_ms": round(self.latency_ms, 1),
        }
        if explain:
            out["explain"] = list(self.explanation)
        return out
