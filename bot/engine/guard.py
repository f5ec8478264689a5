"""The output guard: nothing an LLM writes reaches a user unchecked.

An answer passes when (1) the policy's output rules find nothing it must never
say, (2) it does not echo the system prompt, and (3) after dropping every
sentence that no retrieved sentence supports, something is left. Citations are
renumbered to the documents actually given; invented ones are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.engine.prompts import Prompts
from bot.engine.retrieval import DocInfo, Retriever
from bot.knowledge.chunking import split_sentences
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import LANGS, Lang
from bot.safety import normalize
from bot.safety.policy import SafetyPolicy

_CITE = re.compile(r"\s*\[(\d+)\]")
_LEAK_NGRAM = 8
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_]{4,}")
# Share of a sentence's content words (by 5-letter stem) that must occur in the passages.
MIN_OVERLAP = 0.6


def _stems(text: str) -> set[str]:
    return {w.lower()[:5] for w in _WORD.findall(text)}


def lexically_supported(sentence: str, source: str, source_stems: set[str]) -> bool:
    """Every number in the sentence occurs in the sources, and most of its words do.

    Embedding similarity alone is too forgiving on-topic ("Kazakhstan has 47 state
    religions" is close to any sentence about Kazakhstan and religion); invented
    figures and names are exactly what must never reach a user.
    """
    if any(n not in source for n in _NUMBER.findall(sentence)):
        return False
    stems = _stems(sentence)
    return not stems or len(stems & source_stems) / len(stems) >= MIN_OVERLAP


@dataclass(slots=True)
class GuardResult:
    ok: bool
    text: str = ""
    cited: list[DocInfo] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    support: list[float] = field(default_factory=list)


class OutputGuard:
    """Checks LLM answers against the policy and the retrieved passages."""

    def __init__(
        self,
        policy: SafetyPolicy,
        embeddings: KelisimEmbeddings,
        threshold: float,
        prompts: Prompts,
    ) -> None:
        self.policy = policy
        self.embeddings = embeddings
        self.threshold = threshold
        self._system_ngrams = set()
        for lang in LANGS:
            self._system_ngrams |= _ngrams(normalize.basic(prompts.text(lang, "llm_system")))

    def leaks_prompt(self, text: str) -> bool:
        return bool(_ngrams(normalize.basic(text)) & self._system_ngrams)

    def check(
        self, answer: str, docs: list[DocInfo], retriever: Retriever, lang: Lang
    ) -> GuardResult:
        verdict = self.policy.check_output(answer)
        if verdict is not None:
            return GuardResult(False, reasons=[f"guard: unsafe output ({verdict.reasons[0]})"])
        if self.leaks_prompt(answer):
            return GuardResult(False, reasons=["guard: answer repeats the system prompt"])
        support_vectors, owners, texts = [], [], []
        for n, doc in enumerate(docs):
            sents = retriever.sentences(doc.id)
            if sents is not None:
                support_vectors.append(sents.vectors)
                owners.extend([n] * len(sents.texts))
                texts.extend(sents.texts)
        source = " ".join(texts)
        source_stems = _stems(source)
        if not support_vectors:
            return GuardResult(False, reasons=["guard: no passages to check against"])
        support = np.vstack(support_vectors)
        sentences = [s for s in split_sentences(answer) if len(s) > 3]
        clean = [_CITE.sub("", s).strip() for s in sentences]
        vectors = self.embeddings.passage_vectors(clean) if clean else np.zeros((0, 1))
        kept: list[tuple[str, int]] = []
        scores: list[float] = []
        dropped = 0
        for sentence, text, vec in zip(sentences, clean, vectors, strict=True):
            sims = support @ vec
            best = int(np.argmax(sims))
            scores.append(float(sims[best]))
            if (
                sims[best] < self.threshold
                or not text
                or not lexically_supported(text, source, source_stems)
            ):
                dropped += 1
                continue
            given = [int(m) - 1 for m in _CITE.findall(sentence)]
            valid = [g for g in given if 0 <= g < len(docs)]
            kept.append((text, valid[0] if valid else owners[best]))
        reasons = [
            f"guard: kept {len(kept)} of {len(sentences)} sentences "
            f"(support ≥ {self.threshold:.2f})"
        ]
        if not kept:
            return GuardResult(
                False, reasons=[*reasons, "guard: nothing supported"], support=scores
            )
        cited: list[DocInfo] = []
        parts = []
        for text, owner in kept:
            if docs[owner] not in cited:
                cited.append(docs[owner])
            parts.append(f"{text} [{cited.index(docs[owner]) + 1}]")
        if dropped:
            reasons.append(f"guard: dropped {dropped} unsupported sentence(s)")
        return GuardResult(True, " ".join(parts), cited, reasons, scores)


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text)
    return {tuple(words[i : i + _LEAK_NGRAM]) for i in range(len(words) - _LEAK_NGRAM + 1)}
