"""Analysing a post: verdict, techniques, a short background, and what to do.

The reply never quotes the post: it names techniques with reviewed texts from
``prompts/<lang>.yaml``, adds one whole corpus unit as background (with its own
sources), and ends with what to do. A post that may call for violence or recruit
ends with the help lines and "tell an adult you trust" instead; a
post with signs of self-harm gets the crisis reply. Every line of the reply
passes the same output rules as an answer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bot.engine.composer import compose
from bot.engine.inputs import clean_input
from bot.engine.replies import sources_block, templated
from bot.language import detect
from bot.models import Decision, Lang, Reply, Source
from bot.posts.detector import MODEL_FILE, Detection, PostDetector, post_sentences
from bot.posts.taxonomy import load_cues
from bot.safety.policy import MAX_EMBEDDED_CHARS

if TYPE_CHECKING:
    from bot.engine.core import Engine

log = logging.getLogger(__name__)

Verdict = Literal["manipulative", "neutral"]
Routing = Literal["analysis", "safety", "crisis"]
# A post with signs of these gets the crisis reply instead of an analysis.
CRISIS_CATEGORIES = frozenset({"self_harm"})
# Fewer words than this is a message, not a post.
MIN_WORDS = 4


@dataclass(slots=True)
class PostCheck:
    """The analysis of one post, as every front end shows it."""

    verdict: Verdict
    techniques: tuple[str, ...]
    language: Lang
    reply: str
    body: str
    sources: list[Source] = field(default_factory=list)
    routing: Routing = "analysis"
    units: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    latency_ms: float = 0.0

    @property
    def manipulative(self) -> bool:
        return self.verdict == "manipulative"

    @property
    def safety(self) -> bool:
        """The reply carries help lines and "tell an adult you trust"."""
        return self.routing != "analysis"

    def as_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The JSON shape of ``kelisim check --json``."""
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "techniques": list(self.techniques),
            "language": self.language,
            "reply": self.reply,
            "sources": [s.as_dict() for s in self.sources],
            "routing": self.routing,
        }
        if explain:
            out["explanation"] = self.explanation
        return out

    def as_reply(self) -> Reply:
        """The analysis in the shape front ends render answers in."""
        return Reply(
            Decision.ANSWER,
            "check",
            self.language,
            self.reply,
            sources=list(self.sources),
            body=self.body,
            generator="check",
            explanation=list(self.explanation),
            units=list(self.units),
        )


class PostChecker:
    """Checks posts with an engine's embeddings, safety policy, corpus and templates."""

    def __init__(self, engine: Engine) -> None:
        settings = engine.settings
        self.engine = engine
        self.detector = PostDetector.load(
            settings.safety_dir / MODEL_FILE, load_cues(settings.safety_dir)
        )

    def check(
        self, text: str, *, lang: Lang | None = None, preferred_lang: Lang | None = None
    ) -> PostCheck:
        started = time.perf_counter()
        result = self._check(text, lang, preferred_lang)
        result.latency_ms = (time.perf_counter() - started) * 1000
        return result

    def _check(self, text: str, lang: Lang | None, preferred_lang: Lang | None) -> PostCheck:
        engine, prompts = self.engine, self.engine.prompts
        clean = clean_input(text, engine.settings.max_input_chars)
        detection = detect(clean.text, preferred=preferred_lang)
        reply_lang: Lang = lang or detection.lang
        if clean.empty or clean.no_words or len(clean.text.split()) < MIN_WORDS:
            body = prompts.text(reply_lang, "check_too_short")
            return PostCheck("neutral", (), reply_lang, body, body, explanation=["too short"])
        embeddings = engine.embeddings
        vector = embeddings.query_vector(clean.text[:MAX_EMBEDDED_CHARS])
        pieces = [embeddings.fit_query(s) for s in post_sentences(clean.text[:MAX_EMBEDDED_CHARS])]
        found = self.detector.detect(
            clean.text, vector, np.asarray(embeddings.embed_queries(pieces), dtype=np.float32)
        )
        explanation = [f"language: {reply_lang}", *found.explain()]
        verdict: Verdict = "manipulative" if found.manipulative else "neutral"
        if not found.safety:
            decided = engine.policy.decide(clean.text, lang=detection.lang, vector=vector)
            # Only self-harm: a post's recruiter phrases ("don't tell your parents")
            # are what the analysis explains, not the forwarder's own crisis.
            # The classifier alone is not enough here: fasting and holiday posts are
            # about food and feelings too.
            by_rule = any("(crisis) matched" in r for r in decided.reasons)
            if (
                decided.decision is Decision.CRISIS
                and decided.category in CRISIS_CATEGORIES
                and by_rule
            ):
                explanation += ["safety policy: crisis", *decided.reasons]
                body = templated(prompts, Decision.CRISIS, decided.category, reply_lang)
                return PostCheck(
                    verdict,
                    found.techniques,
                    reply_lang,
                    body,
                    body,
                    routing="crisis",
                    explanation=explanation,
                )
        return self._analysis(found, verdict, reply_lang, explanation, vector)

    def _analysis(
        self,
        found: Detection,
        verdict: Verdict,
        lang: Lang,
        explanation: list[str],
        vector: np.ndarray | None = None,
    ) -> PostCheck:
        prompts = self.engine.prompts
        names = prompts.value(lang, "techniques")
        parts: list[str] = []
        if not found.manipulative:
            parts.append(prompts.text(lang, "check_neutral"))
        else:
            # Each technique: what it is and one question to ask back. Never a quote
            # of the post, never how to do it.
            parts.append(prompts.text(lang, "check_manipulative"))
            parts.append(
                "\n\n".join(
                    f"• {names[t]['name']}: {names[t]['explain']}\n  ↳ {names[t]['ask']}"
                    for t in found.techniques
                )
            )
        # Background: of the units reviewed for the techniques found, the one whose
        # answer is closest to the post (a clear call to violence: what to do first).
        units = list(
            dict.fromkeys(u for t in found.techniques for u in self.detector.cues.context[t])
        )
        if vector is not None:
            units = self.engine.retriever.closest(vector, units, lang)
        if found.strong:
            units = [*self.detector.cues.safety_context, *units]
        unit = next(
            (x for x in (self.engine.quotable_unit(u, lang) for u in units) if x is not None),
            None,
        )
        sources: list[Source] = []
        if unit is not None:
            composition = compose([unit])
            parts.append(f"{prompts.text(lang, 'check_context_heading')}\n{composition.body}")
            sources = composition.sources
            explanation.append(f"background: {unit.unit_id}")
        if found.strong:
            helplines = "\n".join(prompts.helpline_lines(lang))
            parts.append(prompts.text(lang, "check_safety", helplines=helplines))
        elif found.manipulative:
            parts.append(prompts.text(lang, "check_what_to_do"))
            if found.safety:
                parts.append(prompts.text(lang, "check_safety_light"))
        body = "\n\n".join(parts)
        flagged = [s for s in body.splitlines() if s and self.engine.policy.check_output(s)]
        if flagged:  # never expected: templates and units are reviewed
            log.error("a post analysis failed the output rules; sending the safe minimum")
            body = prompts.text(lang, "check_what_to_do")
            sources, unit = [], None
        text = f"{body}\n\n{sources_block(prompts, lang, sources)}" if sources else body
        return PostCheck(
            verdict,
            found.techniques,
            lang,
            text,
            body,
            sources,
            "safety" if found.safety else "analysis",
            [unit.unit_id] if unit else [],
            explanation,
        )
