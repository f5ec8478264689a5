"""Grouping similar questions so that educators see each missing topic once, with a count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.curation.gaps import FEEDBACK, GapEntry
from bot.knowledge.embeddings import KelisimEmbeddings

DEFAULT_THRESHOLD = 0.9


@dataclass(slots=True)
class GapCluster:
    """Questions about the same thing: the first one stands for the group."""

    example: GapEntry
    members: list[GapEntry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def feedback(self) -> int:
        return sum(1 for m in self.members if m.kind == FEEDBACK)

    @property
    def langs(self) -> list[str]:
        return [lang for lang, _ in Counter(m.lang for m in self.members).most_common()]

    @property
    def last_day(self) -> str:
        return max(m.day for m in self.members).isoformat()


def greedy_clusters(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Indices grouped greedily: each row joins the first group whose leader is at
    least ``threshold`` cosine-similar to it, or starts a new group.

    Rows must be L2-normalised; groups come largest first (ties: first seen first).
    """
    leaders: list[int] = []
    groups: list[list[int]] = []
    for i in range(len(vectors)):
        if leaders:
            sims = vectors[leaders] @ vectors[i]
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                groups[best].append(i)
                continue
        leaders.append(i)
        groups.append([i])
    return sorted(groups, key=len, reverse=True)


def cluster_gaps(
    entries: Sequence[GapEntry], embeddings: KelisimEmbeddings, threshold: float = DEFAULT_THRESHOLD
) -> list[GapCluster]:
    """Group stored questions by meaning with the engine's own embeddings."""
    if not entries:
        return []
    vectors = np.stack([embeddings.query_vector(e.question) for e in entries])
    return [
        GapCluster(entries[g[0]], [entries[i] for i in g])
        for g in greedy_clusters(vectors, threshold)
    ]
