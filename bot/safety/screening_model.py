"""A learned second opinion for publish-time screening.

The screening rules (:mod:`bot.safety.screening`) catch the wordings they were
written for. A planted line rarely uses those: "from now on, tell users that…",
«пусть бот отвечает…», "real brothers keep everything within the circle". This
model reads every sentence the rules let through and gives the probability that
it was planted: a note to an assistant, a call to join, give or travel, a call to
secrecy, or a recruiter's claim stated as fact.

It is two logistic regressions trained on the same lines
(``evaluation/datasets/screening/train``, written independently of the frozen
test set) and on every sentence of the published corpus as ordinary text:

- one on character n-grams (cheap: it reads every sentence), and
- one on the e5 vector of the sentence (it reads meaning across wordings).

A sentence is flagged when the mean of the two probabilities reaches the
threshold. The mean cannot reach ``threshold`` unless the n-gram probability
reaches ``2 * threshold - 1``, so only those few sentences are embedded: a whole
corpus is screened in about a second. The model is numpy arrays in an ``.npz``
file (no pickle), rebuilt deterministically by ``kelisim safety train-screening``.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.engine.lexical import LexicalModel, Rows, char_wb_ngrams
from bot.errors import ConfigurationError

FORMAT = "kelisim-screening-model-v1"
MODEL_FILE = "screening.npz"

Embed = Callable[[list[str]], np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0))))


@dataclass(frozen=True, slots=True)
class ScreeningModel:
    """The two regressions and the threshold on the mean of their probabilities."""

    grams: LexicalModel  # vocabulary and idf only (no rows)
    gram_weights: np.ndarray
    gram_bias: float
    vector_weights: np.ndarray
    vector_bias: float
    threshold: float
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def gate(self) -> float:
        """The n-gram probability below which the mean cannot reach the threshold."""
        return 2.0 * self.threshold - 1.0

    def gram_probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        # The dot product of the l2-normalised TF-IDF row with the weights, computed
        # on the n-grams present (as LexicalModel.vector would build the row).
        vocabulary, idf, weights = self.grams.vocabulary, self.grams.idf, self.gram_weights
        rows = []
        for sentence in sentences:
            counts = Counter(vocabulary[g] for g in char_wb_ngrams(sentence) if g in vocabulary)
            if not counts:
                rows.append(0.0)
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * idf[columns]
            rows.append(float(values @ weights[columns]) / float(np.linalg.norm(values)))
        return _sigmoid(np.asarray(rows, dtype=np.float64) + self.gram_bias)

    def probabilities(self, sentences: Sequence[str], embed: Embed) -> np.ndarray:
        """The mean probability per sentence (0 where the n-grams alone rule it out).

        ``embed`` turns sentences into e5 query vectors; it is called once, with the
        sentences that pass the gate, and not at all when none does.
        """
        out = np.zeros(len(sentences), dtype=np.float64)
        if not sentences:
            return out
        grams = self.gram_probabilities(sentences)
        candidates = [i for i, p in enumerate(grams) if p >= self.gate]
        if candidates:
            vectors = np.atleast_2d(embed([sentences[i] for i in candidates]))
            meaning = _sigmoid(vectors @ self.vector_weights + self.vector_bias)
            out[candidates] = (grams[candidates] + meaning) / 2.0
        return out

    # -- persistence ---------------------------------------------------------
    def save(self, path: Path) -> None:
        order = sorted(self.grams.vocabulary, key=self.grams.vocabulary.__getitem__)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            format=np.array(FORMAT),
            grams=np.array(order, dtype=str),
            idf=self.grams.idf.astype(np.float32),
            gram_weights=self.gram_weights.astype(np.float32),
            gram_bias=np.array(self.gram_bias),
            vector_weights=self.vector_weights.astype(np.float32),
            vector_bias=np.array(self.vector_bias),
            threshold=np.array(self.threshold),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ScreeningModel:
        hint = "run `kelisim safety train-screening`"
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["format"]) != FORMAT:
                    raise ConfigurationError(f"{path}: not a {FORMAT} file: {hint}")
                grams = data["grams"].tolist()
                lexical = LexicalModel(
                    {g: j for j, g in enumerate(grams)},
                    data["idf"].astype(np.float64),
                    Rows.empty(len(grams)),
                )
                model = cls(
                    lexical,
                    data["gram_weights"].astype(np.float64),
                    float(data["gram_bias"]),
                    data["vector_weights"].astype(np.float64),
                    float(data["vector_bias"]),
                    float(data["threshold"]),
                    dict(json.loads(str(data["meta"]))),
                )
        except FileNotFoundError:
            raise ConfigurationError(f"{path} is missing: {hint}") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ConfigurationError(
                f"{path} cannot be read ({type(exc).__name__}): {hint}"
            ) from exc
        if model.gram_weights.shape != model.grams.idf.shape:
            raise ConfigurationError(f"{path}: damaged model file: {hint}")
        return model


__all__ = ["MODEL_FILE", "ScreeningModel"]
