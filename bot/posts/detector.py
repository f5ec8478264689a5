"""The manipulation detector: cues, the post's meaning and its wording, weighed by trained models.

Two logistic regressions per target, averaged: one on the post's e5 query
vector, the element-wise maximum and mean of its sentences' vectors (a
technique often lives in one sentence of an otherwise ordinary post) and its
cue counts (:mod:`bot.posts.taxonomy`); one on character n-grams (TF-IDF), which
catches the set phrases of each technique in all three languages and their
misspellings. The targets are "manipulative at all", each technique, and
"calls for violence or recruits" (safety routing).
Thresholds are chosen on out-of-fold predictions of the training split
(``kelisim safety train-posts``), never on the frozen test split. The model is
plain numbers in ``<safety_dir>/post-detector.json`` (no pickle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.errors import ConfigurationError
from bot.posts.taxonomy import TECHNIQUES, PostCues
from bot.safety.normalize import basic, sentences

if TYPE_CHECKING:  # scikit-learn costs almost a second to import: only when a post is checked
    from sklearn.feature_extraction.text import TfidfVectorizer

FORMAT = "kelisim-post-detector-v2"
# The character n-grams the wording model reads (on the normalised text).
NGRAM_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (2, 5),
    "sublinear_tf": True,
    "lowercase": False,
}
MODEL_FILE = "post-detector.json"
MANIPULATIVE, SAFETY = "manipulative", "safety"
SAFETY_ALONE = "safety_alone"
# Above this, a likely call to violence or recruitment gets the full help-line block;
# between SAFETY and here, one calm line with the help line and a trusted adult.
SAFETY_STRONG = "safety_strong"
TARGETS: tuple[str, ...] = (MANIPULATIVE, *TECHNIQUES, SAFETY)
# At most this many techniques are named in one reply, each at least this share of
# the most likely one's probability: a padded list reads like a template (both
# chosen out of fold on the train split, for precision at the same recall).
MAX_TECHNIQUES = 3
RELATIVE = 0.7
# Cue counts enter the model clipped, so that one repeated phrase cannot dominate.
_CUE_CAP = 2.0
# Sentences embedded per post (a long transcript: the first ones), and their
# minimum length in words.
MAX_SENTENCES = 12
MIN_SENTENCE_WORDS = 2


def post_sentences(text: str) -> list[str]:
    """The sentences whose vectors the detector pools (the whole post if none)."""
    found = [s for s in sentences(text) if len(s.split()) >= MIN_SENTENCE_WORDS]
    return found[:MAX_SENTENCES] or [text]


@dataclass(frozen=True, slots=True)
class Detection:
    """What the detector saw in one post."""

    manipulative: bool
    techniques: tuple[str, ...]  # most likely first
    safety: bool
    probabilities: dict[str, float]
    cue_hits: dict[str, int]
    strong: bool = False  # a clear call to violence or recruitment

    def explain(self) -> list[str]:
        probs = ", ".join(f"{k} {v:.2f}" for k, v in self.probabilities.items() if v >= 0.1)
        cues = ", ".join(f"{k}×{n}" for k, n in self.cue_hits.items() if n)
        return [f"detector: {probs or 'nothing above 0.10'}", f"cues: {cues or 'none'}"]


def features(
    vector: np.ndarray, sentence_vectors: np.ndarray, cue_hits: dict[str, int], safety_hits: int
) -> np.ndarray:
    """The model's input: the post's vector, its sentences' max and mean, clipped cue counts."""
    cues = [min(cue_hits.get(t, 0), _CUE_CAP) / _CUE_CAP for t in TECHNIQUES]
    cues.append(min(safety_hits, _CUE_CAP) / _CUE_CAP)
    pooled = np.atleast_2d(np.asarray(sentence_vectors, dtype=np.float64))
    return np.concatenate(
        [
            np.asarray(vector, dtype=np.float64).ravel(),
            pooled.max(axis=0),
            pooled.mean(axis=0),
            np.asarray(cues),
        ]
    )


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30))))


@dataclass(slots=True)
class NgramModel:
    """Character n-gram TF-IDF with one linear model per target."""

    vocabulary: list[str]
    idf: np.ndarray
    weights: np.ndarray  # (targets, vocabulary)
    bias: np.ndarray
    _vectorizer: TfidfVectorizer | None = None

    @staticmethod
    def vectorizer(**kwargs: object) -> TfidfVectorizer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(**NGRAM_PARAMS, **kwargs)

    def matrix(self, texts: list[str]) -> Any:
        if self._vectorizer is None:
            vectorizer = self.vectorizer(vocabulary={g: i for i, g in enumerate(self.vocabulary)})
            vectorizer.idf_ = self.idf
            self._vectorizer = vectorizer
        return self._vectorizer.transform([basic(t) for t in texts])

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return sigmoid(np.asarray(self.matrix(texts) @ self.weights.T) + self.bias)


@dataclass(slots=True)
class PostDetector:
    """Sigmoids over :data:`TARGETS` (two models averaged) with a threshold each."""

    weights: np.ndarray  # (targets, dims)
    bias: np.ndarray  # (targets,)
    thresholds: dict[str, float]
    cues: PostCues
    meta: dict[str, object] = field(default_factory=dict)
    ngrams: NgramModel | None = None

    def probabilities(self, x: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """(n, targets) probabilities for rows of :func:`features` and their posts' texts."""
        meaning = sigmoid(np.atleast_2d(x) @ self.weights.T + self.bias)
        if self.ngrams is None or texts is None:
            return meaning
        return (meaning + self.ngrams.probabilities(texts)) / 2

    def detect(self, text: str, vector: np.ndarray, sentence_vectors: np.ndarray) -> Detection:
        hits = self.cues.hits(text)
        hits[SAFETY] = self.cues.safety_hits(text)
        x = features(vector, sentence_vectors, hits, hits[SAFETY])
        return self.decide(self.probabilities(x, [text])[0], hits)

    def decide(self, row: np.ndarray, hits: dict[str, int]) -> Detection:
        """Turn one row of probabilities into a verdict, techniques and routing."""
        probs = {t: float(p) for t, p in zip(TARGETS, row, strict=True)}
        # A likely call to violence or recruitment is manipulative even when the
        # "manipulative" model is unsure (a stricter threshold, chosen on neutral posts).
        manipulative = probs[MANIPULATIVE] >= self.thresholds[MANIPULATIVE] or (
            probs[SAFETY] >= self.thresholds.get(SAFETY_ALONE, 1.0)
        )
        techniques: tuple[str, ...] = ()
        safety = False
        if manipulative:
            # A manipulative post with a call to violence or recruitment in its words
            # gets the help lines even when the model is unsure.
            safety = probs[SAFETY] >= self.thresholds[SAFETY] or hits.get(SAFETY, 0) > 0
            ranked = sorted(TECHNIQUES, key=lambda t: -probs[t])
            chosen = [t for t in ranked if probs[t] >= self.thresholds[t]]
            techniques = tuple((chosen or ranked[:1])[:MAX_TECHNIQUES])
        return Detection(manipulative, techniques, safety, probs, hits)

    # ------------------------------------------------------------------ files
    def save(self, path: Path) -> None:
        data: dict[str, Any] = {
            "format": FORMAT,
            "targets": list(TARGETS),
            "weights": np.round(self.weights, 6).tolist(),
            "bias": np.round(self.bias, 6).tolist(),
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "meta": self.meta,
        }
        if self.ngrams is not None:
            data["ngrams"] = {
                "params": {
                    k: list(v) if isinstance(v, tuple) else v for k, v in NGRAM_PARAMS.items()
                },
                "vocabulary": self.ngrams.vocabulary,
                "idf": np.round(self.ngrams.idf, 5).tolist(),
                "weights": np.round(self.ngrams.weights, 4).tolist(),
                "bias": np.round(self.ngrams.bias, 5).tolist(),
            }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, cues: PostCues) -> PostDetector:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"{path}: the post detector is missing; run `kelisim safety train-posts`"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
        if data.get("format") != FORMAT or tuple(data.get("targets", ())) != TARGETS:
            raise ConfigurationError(
                f"{path}: not a {FORMAT} model for the current techniques; "
                "run `kelisim safety train-posts`"
            )
        ngrams = None
        if data.get("ngrams"):
            raw = data["ngrams"]
            ngrams = NgramModel(
                list(raw["vocabulary"]),
                np.asarray(raw["idf"], dtype=np.float64),
                np.asarray(raw["weights"], dtype=np.float64),
                np.asarray(raw["bias"], dtype=np.float64),
            )
        return cls(
            np.asarray(data["weights"], dtype=np.float64),
            np.asarray(data["bias"], dtype=np.float64),
            {k: float(v) for k, v in data["thresholds"].items()},
            cues,
            dict(data.get("meta") or {}),
            ngrams,
        )
