"""The output guard: nothing an LLM writes reaches a user unchecked.

An answer passes when (1) the policy's output rules find nothing it must never
say, (2) it does not echo the system prompt, and (3) after dropping every
sentence that is not supported, something is left. A sentence is supported
when it aligns to a sentence — or two neighbouring sentences — of one given
answer unit by the words they share and passes the claim checks of
:mod:`bot.engine.claims` against that aligned text: same polarity, numbers,
names and claim words, nothing new added. Example lines of a unit (what a
recruiter says) never count as support and may not be repeated as advice.
Each kept sentence cites the unit that supports it; the reply's sources are
those units' sources.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bot.engine import claims
from bot.engine.prompts import Prompts
from bot.engine.retrieval import UnitText
from bot.knowledge.sentences import split_sentences
from bot.models import LANGS, Lang
from bot.safety import normalize
from bot.safety.policy import SafetyPolicy

_CITE = re.compile(r"\s*\[(\d+)\]")
# (sentence, source text) pairs -> one vote each, or None when no answer came.
Entails = Callable[[list[tuple[str, str]]], list[bool] | None]
_LEAK_NGRAM = 8


@dataclass(slots=True)
class GuardResult:
    ok: bool
    text: str = ""
    cited: list[UnitText] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    support: list[float] = field(default_factory=list)


class OutputGuard:
    """Checks LLM answers against the policy and the retrieved passages."""

    def __init__(
        self,
        policy: SafetyPolicy,
        threshold: float,
        prompts: Prompts,
    ) -> None:
        self.policy = policy
        self.threshold = threshold
        self._system_ngrams = set()
        for lang in LANGS:
            self._system_ngrams |= _ngrams(normalize.basic(prompts.text(lang, "llm_system")))

    def leaks_prompt(self, text: str) -> bool:
        return bool(_ngrams(normalize.basic(text)) & self._system_ngrams)

    def check(
        self,
        answer: str,
        units: list[UnitText],
        lang: Lang,
        entails: Entails | None = None,
    ) -> GuardResult:
        """Keep the sentences of ``answer`` that its ``units`` support; see the module doc.

        ``entails``, when given, is asked once about every sentence that passed the
        checks, with the source text it aligned to, and may only drop sentences
        (an LLM asked "does the source say this?"); ``None`` from it changes nothing.
        """
        verdict = self.policy.check_output(answer)
        if verdict is not None:
            return GuardResult(False, reasons=[f"guard: unsafe output ({verdict.reasons[0]})"])
        if self.leaks_prompt(answer):
            return GuardResult(False, reasons=["guard: answer repeats the system prompt"])
        owners: list[int] = []
        texts: list[str] = []
        for n, unit in enumerate(units):
            for sentence in split_sentences(_claims(unit)):
                owners.append(n)
                texts.append(sentence)
        if not texts:
            return GuardResult(False, reasons=["guard: no answer units to check against"])
        unit_texts = [_claims(unit) for unit in units]
        support = _stems(texts)
        sentences = [s for s in split_sentences(answer) if len(s) > 3]
        clean = [_CITE.sub("", s).strip() for s in sentences]
        kept: list[tuple[str, int, str]] = []
        scores: list[float] = []
        dropped = 0
        examples = tuple(e for unit in units for e in unit.examples)
        why: list[str] = []
        for text, own in zip(clean, _stems(clean), strict=True):
            sims = _overlaps(own, support)
            best = int(np.argmax(sims))
            scores.append(float(sims[best]))
            if sims[best] < self.threshold or not text:
                dropped += 1
                continue
            aligned = _aligned(texts, owners, sims, best)
            claim = claims.verify(
                text, aligned, unit_texts[owners[best]], examples, lang, texts[best]
            )
            if not claim.ok:
                dropped += 1
                why.append(claim.reason)
                continue
            kept.append((text, owners[best], aligned))
        checked_by_model = ""
        if entails is not None and kept:
            votes = entails([(text, aligned) for text, _, aligned in kept])
            if votes is None:
                checked_by_model = "guard: self-check gave no answer; the guard's own checks stand"
            else:
                denied = [k for k, vote in zip(kept, votes, strict=True) if not vote]
                kept = [k for k, vote in zip(kept, votes, strict=True) if vote]
                dropped += len(denied)
                why += ["the endpoint's self-check found it unsupported"] * len(denied)
                checked_by_model = f"guard: self-check confirmed {len(kept)} sentence(s)"
        reasons = [
            f"guard: kept {len(kept)} of {len(sentences)} sentences "
            f"(support ≥ {self.threshold:.2f})"
        ]
        if checked_by_model:
            reasons.append(checked_by_model)
        if not kept:
            reasons += [f"guard: dropped one: {reason}" for reason in why]
            return GuardResult(
                False, reasons=[*reasons, "guard: nothing supported"], support=scores
            )
        cited: list[UnitText] = []
        parts = []
        for text, owner, _ in kept:
            if units[owner] not in cited:
                cited.append(units[owner])
            parts.append(f"{text} [{cited.index(units[owner]) + 1}]")
        if dropped:
            reasons.append(f"guard: dropped {dropped} unsupported sentence(s)")
        reasons += [f"guard: dropped one: {reason}" for reason in why]
        return GuardResult(True, " ".join(parts), cited, reasons, scores)


def _aligned(texts: list[str], owners: list[int], sims: np.ndarray, best: int) -> str:
    """The closest source sentence and its unit's next closest, in the unit's order.

    An LLM often merges two sentences into one; numbers are checked against
    these two, names and new words against the whole unit.
    """
    same_unit = [n for n in range(len(texts)) if owners[n] == owners[best] and n != best]
    if same_unit:
        second = max(same_unit, key=lambda n: float(sims[n]))
        first, last = sorted((best, second))
        return f"{texts[first]} {texts[last]}"
    return texts[best]


def _claims(unit: UnitText) -> str:
    """A unit's answer without its example lines: examples are quotes, not facts."""
    examples = set(unit.examples)
    return "\n".join(line for line in unit.body.splitlines() if line not in examples)


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text)
    return {tuple(words[i : i + _LEAK_NGRAM]) for i in range(len(words) - _LEAK_NGRAM + 1)}


def _stems(texts: list[str]) -> list[set[str]]:
    """Each text's content-word stems (see :func:`bot.engine.claims.stems`)."""
    return [claims.content_stems(t) for t in texts]


def _overlaps(mine: set[str], sources: list[set[str]]) -> np.ndarray:
    """How much of a sentence's wording each source sentence shares: a cosine of stem sets.

    Stems match by prefix, as the claim checks do, so «запрещено» meets «запрет».
    """
    out = np.zeros(len(sources))
    for n, theirs in enumerate(sources):
        if mine and theirs:
            shared = sum(claims.among(stem, theirs) for stem in mine)
            out[n] = shared / np.sqrt(len(mine) * len(theirs))
    return out
