"""The output guard: nothing an LLM writes reaches a user unchecked.

An answer passes when (1) the policy's output rules find nothing it must never
say, (2) it does not echo the system prompt, and (3) after dropping every
sentence that is not supported, something is left. A sentence is supported
when each of its clauses aligns (by shared word stems, no embedding model) to
a sentence — or two sentences — of one given answer unit and passes the claim
checks of
:mod:`bot.engine.claims` against that aligned text: same polarity, numbers,
names and claim words, nothing new added. Example lines of a unit (what a
recruiter says) never count as support and may not be repeated as advice.
Each kept sentence cites the unit that supports it; the reply's sources are
those units' sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.engine import claims
from bot.engine.prompts import Prompts
from bot.engine.retrieval import UnitText
from bot.knowledge.sentences import split_sentences
from bot.models import LANGS, Lang
from bot.safety import normalize
from bot.safety.policy import SafetyPolicy

_CITE = re.compile(r"\s*\[(\d+)\]")
_LEAK_NGRAM = 8


@dataclass(slots=True)
class GuardResult:
    """The guarded answer.

    ``support`` has one number per answer sentence, kept or not: the smallest
    share of one of its clauses' word stems found in the unit text that clause
    aligned to (0 when nothing aligned). It is lexical overlap, not a
    similarity score, and no threshold on it decides anything: the claim checks do.
    """

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
        prompts: Prompts,
    ) -> None:
        self.policy = policy
        self._cache: dict[str, frozenset[str]] = {}
        self._system_ngrams = set()
        for lang in LANGS:
            self._system_ngrams |= _ngrams(normalize.basic(prompts.text(lang, "llm_system")))

    def leaks_prompt(self, text: str) -> bool:
        return bool(_ngrams(normalize.basic(text)) & self._system_ngrams)

    def check(self, answer: str, units: list[UnitText], lang: Lang) -> GuardResult:
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
        headings = [f"{unit.title}. {unit.question}" for unit in units]
        keys = [self._keys(t, lang) for t in texts]
        sentences = [s for s in split_sentences(answer) if len(s) > 3]
        clean = [_CITE.sub("", s).strip() for s in sentences]
        kept: list[tuple[str, int]] = []
        scores: list[float] = []
        dropped = 0
        examples = tuple(e for unit in units for e in unit.examples)
        why: list[str] = []
        for text in clean:
            owner, score, reason = self._verify(
                text, texts, keys, owners, (unit_texts, headings), examples, lang
            )
            scores.append(score)
            if reason:
                dropped += 1
                why.append(reason)
                continue
            kept.append((text, owner))
        reasons = [f"guard: kept {len(kept)} of {len(sentences)} sentences (claim by claim)"]
        if not kept:
            reasons += [f"guard: dropped one: {reason}" for reason in why]
            return GuardResult(
                False, reasons=[*reasons, "guard: nothing supported"], support=scores
            )
        cited: list[UnitText] = []
        parts = []
        for text, owner in kept:
            if units[owner] not in cited:
                cited.append(units[owner])
            parts.append(f"{text} [{cited.index(units[owner]) + 1}]")
        if dropped:
            reasons.append(f"guard: dropped {dropped} unsupported sentence(s)")
        reasons += [f"guard: dropped one: {reason}" for reason in why]
        return GuardResult(True, " ".join(parts), cited, reasons, scores)

    def _verify(
        self,
        text: str,
        texts: list[str],
        keys: list[frozenset[str]],
        owners: list[int],
        units: tuple[list[str], list[str]],
        examples: tuple[str, ...],
        lang: Lang,
    ) -> tuple[int, float, str]:
        """One answer sentence: its unit, its word overlap and, if dropped, why.

        Every clause is aligned on its own and must pass the claim checks; the
        sentence cites the unit its first clause came from. The overlap is the
        smallest share of a clause's word stems found in its aligned text.
        """
        if not text:
            return 0, 0.0, "empty sentence"
        if claims.examples_echoed(text, examples):
            return 0, 0.0, "repeats an example line as its own words"
        owner, overlap = -1, 1.0
        for clause in claims.clauses(text, lang):
            mine = self._keys(clause, lang)
            best, second = _align(mine, keys, owners)
            if best < 0:
                return 0, 0.0, "shares no words with its units"
            aligned = (
                texts[best]
                if second < 0
                else f"{texts[min(best, second)]} {texts[max(best, second)]}"
            )
            both = keys[best] | (keys[second] if second >= 0 else frozenset())
            overlap = min(overlap, len(mine & both) / max(len(mine), 1))
            unit_texts, headings = units
            owner_of = owners[best]
            verdict = claims.verify(
                clause,
                aligned,
                unit_texts[owner_of],
                examples,
                lang,
                texts[best],
                headings[owner_of],
            )
            if not verdict.ok:
                return owners[best], overlap, verdict.reason
            if owner < 0:
                owner = owners[best]
        return max(owner, 0), overlap, ""

    def _keys(self, text: str, lang: Lang) -> frozenset[str]:
        """Stems and numbers of a text; unit sentences are a bounded set, kept once."""
        found = self._cache.get(text)
        if found is None:
            found = frozenset(claims.stems(text) | claims._numbers(text, lang))
            if len(self._cache) < 50_000:
                self._cache[text] = found
        return found


def _align(mine: frozenset[str], keys: list[frozenset[str]], owners: list[int]) -> tuple[int, int]:
    """The unit sentence sharing most words with a clause, and one more from its unit.

    An LLM often merges two sentences into one; the second is the sentence of
    the same unit that covers most of what the first leaves out, if any.
    """
    shared = [len(mine & k) for k in keys]
    best = max(range(len(keys)), key=lambda n: (shared[n], -len(keys[n])))
    if not shared[best]:
        return -1, -1
    rest = mine - keys[best]
    extra = [
        (len(rest & keys[n]), n)
        for n in range(len(keys))
        if n != best and owners[n] == owners[best] and rest & keys[n]
    ]
    return best, max(extra)[1] if extra else -1


def _claims(unit: UnitText) -> str:
    """A unit's answer without its example lines: examples are quotes, not facts."""
    examples = set(unit.examples)
    return "\n".join(line for line in unit.body.splitlines() if line not in examples)


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text)
    return {tuple(words[i : i + _LEAK_NGRAM]) for i in range(len(words) - _LEAK_NGRAM + 1)}
