"""The exemplar classifier: nearest labelled examples in Kazakh, Russian and English.

The examples (``knowledge_base/safety/exemplars.yaml``) come in contrast pairs —
asking *about* a hard topic next to asking *for* harmful content — so that the
neighbours of a message reflect its intent, not just its topic. Vectors are the
engine's own query embeddings, cached on disk by content hash.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.errors import ConfigurationError
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import LANGS, Decision

log = logging.getLogger(__name__)
K = 7


@dataclass(frozen=True, slots=True)
class Exemplar:
    text: str
    lang: str
    decision: Decision
    category: str


@dataclass(frozen=True, slots=True)
class Vote:
    """The neighbours' verdict: the winning decision, its share of the vote, and why."""

    decision: Decision
    category: str
    share: float
    top: float
    neighbours: tuple[tuple[float, Exemplar], ...]


def load_exemplars(path: Path) -> list[Exemplar]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    out = []
    for i, item in enumerate(data.get("exemplars") or [], 1):
        try:
            decision = Decision(item["decision"])
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(f"{path}: exemplars[{i}]: bad or missing decision") from exc
        if not item.get("text") or item.get("lang") not in LANGS:
            raise ConfigurationError(f"{path}: exemplars[{i}]: needs text and lang kk|ru|en")
        out.append(
            Exemplar(str(item["text"]), item["lang"], decision, str(item.get("category") or ""))
        )
    return out


class ExemplarClassifier:
    """k-nearest-neighbour vote over labelled exemplars."""

    def __init__(self, exemplars: list[Exemplar], vectors: np.ndarray) -> None:
        self.exemplars = exemplars
        self.vectors = vectors

    @classmethod
    def build(
        cls, exemplars: list[Exemplar], embeddings: KelisimEmbeddings, cache_dir: Path | None
    ) -> ExemplarClassifier:
        digest = hashlib.sha256(embeddings.name.encode())
        for ex in exemplars:
            digest.update(ex.text.encode() + b"\0")
        cache = cache_dir / f"exemplars-{digest.hexdigest()[:16]}.npy" if cache_dir else None
        if cache and cache.exists():
            vectors = np.load(cache)
            if vectors.shape[0] == len(exemplars):
                return cls(exemplars, vectors)
        vectors = np.asarray(
            [embeddings.embed_query(ex.text) for ex in exemplars], dtype=np.float32
        ).reshape(len(exemplars), -1)
        if cache:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp.npy")
                np.save(tmp, vectors)
                tmp.replace(cache)
            except OSError:
                log.warning("could not cache exemplar vectors in %s", cache.parent)
        return cls(exemplars, vectors)

    def vote(self, vector: np.ndarray, k: int = K) -> Vote:
        sims = self.vectors @ vector
        top = np.argsort(-sims)[:k]
        weights: dict[Decision, float] = defaultdict(float)
        categories: dict[Decision, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for i in top:
            ex = self.exemplars[int(i)]
            # Sharpen: near neighbours count much more than the k-th one.
            w = float(np.exp((sims[i] - sims[top[0]]) / 0.02))
            weights[ex.decision] += w
            categories[ex.decision][ex.category] += w
        total = sum(weights.values()) or 1.0
        decision = max(weights, key=lambda d: weights[d])
        category = max(categories[decision], key=lambda c: categories[decision][c])
        neighbours = tuple((float(sims[i]), self.exemplars[int(i)]) for i in top)
        return Vote(decision, category, weights[decision] / total, float(sims[top[0]]), neighbours)
