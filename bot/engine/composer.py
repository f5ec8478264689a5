"""The extractive composer: an answer made only of vetted sentences.

It ranks the chosen documents' sentences by similarity to the question, picks a
few relevant, non-redundant ones with maximal marginal relevance, restores their
document order and cites each with ``[n]``. Same input, same answer: no sampling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.engine.retrieval import DocInfo, Retriever

MMR_LAMBDA = 0.7
# A sentence this much less relevant than the best one is not worth quoting.
RELEVANCE_MARGIN = 0.06
REDUNDANT = 0.93
MIN_SENTENCES = 2


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence chosen for the answer."""

    doc: DocInfo
    text: str
    position: int
    relevance: float
    vector: np.ndarray


def mmr(query: np.ndarray, vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Indices of up to ``k`` rows of ``vectors`` by maximal marginal relevance."""
    if len(vectors) == 0:
        return []
    relevance = vectors @ query
    chosen: list[int] = []
    candidates = list(range(len(vectors)))
    while candidates and len(chosen) < k:
        if chosen:
            redundancy = (vectors[candidates] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(candidates), dtype=np.float32)
        scores = lam * relevance[candidates] - (1 - lam) * redundancy
        best = candidates[int(np.argmax(scores))]
        if chosen and float((vectors[best] @ vectors[chosen].T).max()) > REDUNDANT:
            candidates.remove(best)
            continue
        chosen.append(best)
        candidates.remove(best)
    return chosen


def select_quotes(
    query: np.ndarray,
    doc_ids: list[str],
    retriever: Retriever,
    max_sentences: int,
    allowed: Callable[[str], bool] = lambda _: True,
) -> list[Quote]:
    """The sentences to quote from ``doc_ids`` (ranked documents), in reading order.

    ``allowed`` vets each sentence (the engine passes the policy's output check),
    so that text planted in a document is never quoted.
    """
    pool: list[tuple[DocInfo, str, int, np.ndarray]] = []
    for doc_id in doc_ids:
        sents = retriever.sentences(doc_id)
        if sents is None:
            continue
        info = retriever.doc(doc_id)
        for text, pos, vec in zip(sents.texts, sents.positions, sents.vectors, strict=True):
            if allowed(text):
                pool.append((info, text, pos, vec))
    if not pool:
        return []
    vectors = np.vstack([p[3] for p in pool])
    relevance = vectors @ query
    picked = mmr(query, vectors, max_sentences)
    top = float(relevance.max())
    kept = [
        i
        for n, i in enumerate(picked)
        if n < MIN_SENTENCES or relevance[i] >= top - RELEVANCE_MARGIN
    ]
    quotes = [
        Quote(pool[i][0], pool[i][1], pool[i][2], float(relevance[i]), pool[i][3]) for i in kept
    ]
    rank = {doc_id: n for n, doc_id in enumerate(doc_ids)}
    return sorted(quotes, key=lambda q: (rank[q.doc.id], q.position))


def render(quotes: list[Quote]) -> tuple[str, list[DocInfo]]:
    """Quotes as paragraphs (one per document) with ``[n]`` markers, and the cited docs."""
    cited: list[DocInfo] = []
    paragraphs: list[str] = []
    for quote in quotes:
        if quote.doc not in cited:
            cited.append(quote.doc)
            paragraphs.append("")
        n = cited.index(quote.doc) + 1
        sep = " " if paragraphs[-1] else ""
        paragraphs[-1] += f"{sep}{quote.text} [{n}]"
    return "\n\n".join(paragraphs), cited
