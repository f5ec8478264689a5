"""Training the post detector (``kelisim safety train-posts``).

Fits one logistic regression per target on the *train* split, predicts every
training post out of fold (5 folds) to pick thresholds, and writes the model.
The figures it reports are those out-of-fold predictions: the "dev" figures
that the frozen test split is reported beside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bot.knowledge.embeddings import KelisimEmbeddings
from bot.posts.dataset import POSTS_DATA, LabelledPost, read_posts, split_files
from bot.posts.detector import (
    MANIPULATIVE,
    MODEL_FILE,
    SAFETY,
    SAFETY_ALONE,
    SAFETY_STRONG,
    TARGETS,
    NgramModel,
    PostDetector,
    features,
    post_sentences,
)
from bot.posts.taxonomy import TECHNIQUES, PostCues, load_cues
from bot.safety.normalize import basic
from bot.safety.training import vectors_for
from bot.settings import Settings

FOLDS = 5
# e5 vectors are unit-length with small coordinates: weak regularisation suits them.
# Both C values and the vocabulary size were chosen out of fold on the train split.
C = 16.0
NGRAM_C = 30.0
NGRAM_FEATURES = 20_000
NGRAM_MIN_DF = 2
# Neutral posts flagged out of fold may not exceed this share.
MAX_NEUTRAL_FLAGGED = 0.03
# ...and may reach the help lines on their own this rarely.
MAX_NEUTRAL_SAFETY = 0.015
# Manipulative posts without a call to violence that get the full help-line block.
MAX_STRONG_NOISE = 0.15
SEED = 13


@dataclass(slots=True)
class PostTrainReport:
    posts: int
    path: Path
    thresholds: dict[str, float]
    dev: dict[str, object] = field(default_factory=dict)


def post_matrix(
    posts: list[LabelledPost], embeddings: KelisimEmbeddings, cues: PostCues, cache: Path | None
) -> np.ndarray:
    """:func:`features` for every post (vectors cached by content)."""
    vectors = vectors_for(
        [embeddings.fit_query(p.text) for p in posts], embeddings, cache, "post-vectors.npz"
    )
    split = [post_sentences(p.text) for p in posts]
    flat = vectors_for(
        [embeddings.fit_query(s) for ss in split for s in ss],
        embeddings,
        cache,
        "post-sentence-vectors.npz",
    )
    rows, start = [], 0
    for vec, p, ss in zip(vectors, posts, split, strict=True):
        pooled = flat[start : start + len(ss)]
        start += len(ss)
        rows.append(features(vec, pooled, cues.hits(p.text), cues.safety_hits(p.text)))
    return np.vstack(rows)


def labels(posts: list[LabelledPost]) -> np.ndarray:
    """(n, targets) 0/1 matrix in :data:`TARGETS` order."""
    rows = []
    for p in posts:
        rows.append(
            [float(p.manipulative)]
            + [float(t in p.techniques) for t in TECHNIQUES]
            + [float(p.safety)]
        )
    return np.asarray(rows)


def _fit_one(x: Any, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    if y.min() == y.max():  # a target with one class: a constant model
        return np.zeros(x.shape[1]), 30.0 if y[0] else -30.0
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def fit(x: Any, y: np.ndarray, c: float = C) -> tuple[np.ndarray, np.ndarray]:
    pairs = [_fit_one(x, y[:, j], c) for j in range(y.shape[1])]
    return np.vstack([w for w, _ in pairs]), np.asarray([b for _, b in pairs])


def fit_ngrams(texts: list[str], y: np.ndarray) -> NgramModel:
    """The wording model: character n-gram TF-IDF and one linear model per target."""
    vectorizer = NgramModel.vectorizer(min_df=NGRAM_MIN_DF, max_features=NGRAM_FEATURES)
    matrix = vectorizer.fit_transform([basic(t) for t in texts])
    weights, bias = fit(matrix, y, NGRAM_C)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return NgramModel(vocabulary, np.asarray(vectorizer.idf_), weights, bias)


def detector_for(x: np.ndarray, texts: list[str], y: np.ndarray, cues: PostCues) -> PostDetector:
    """Both models fitted on these rows (thresholds are set by the caller)."""
    weights, bias = fit(x, y)
    return PostDetector(weights, bias, {}, cues, ngrams=fit_ngrams(texts, y))


def out_of_fold(
    x: np.ndarray, texts: list[str], y: np.ndarray, strata: list[str], cues: PostCues
) -> np.ndarray:
    """Probabilities for every row from models that did not see it."""
    probs = np.zeros_like(y)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    for train_idx, test_idx in folds.split(x, strata):
        detector = detector_for(x[train_idx], [texts[i] for i in train_idx], y[train_idx], cues)
        probs[test_idx] = detector.probabilities(x[test_idx], [texts[i] for i in test_idx])
    return probs


def choose_thresholds(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    out: dict[str, float] = {}
    neutral = y[:, 0] == 0
    manip = ~neutral
    # Manipulative: the lowest threshold that keeps neutral posts flagged rare.
    allowed = [t for t in grid if np.mean(probs[neutral, 0] >= t) <= MAX_NEUTRAL_FLAGGED]
    out[MANIPULATIVE] = float(min(allowed)) if allowed else 0.5
    # Techniques: the best F1 among manipulative posts.
    for j, tid in enumerate(TECHNIQUES, 1):
        truth = y[manip, j] == 1
        best, best_f1 = 0.5, -1.0
        for t in grid:
            got = probs[manip, j] >= t
            tp = float(np.sum(got & truth))
            f1 = 2 * tp / (np.sum(got) + np.sum(truth)) if (np.sum(got) + np.sum(truth)) else 0.0
            if f1 > best_f1:
                best, best_f1 = float(t), f1
        out[tid] = best
    # Safety routing (decided only for posts found manipulative) errs on the side
    # of the help lines: every labelled call to violence or recruitment out of
    # fold, less a margin. A manipulative post that gets them needlessly reads a
    # help line too many; a call to violence without them is a failure.
    s = len(TARGETS) - 1
    alone = [t for t in grid if np.mean(probs[neutral, s] >= t) <= MAX_NEUTRAL_SAFETY]
    out[SAFETY_ALONE] = float(min(alone)) if alone else 1.0
    found = (probs[:, 0] >= out[MANIPULATIVE]) | (probs[:, s] >= out[SAFETY_ALONE])
    positives = probs[(y[:, s] == 1) & found, s]
    out[SAFETY] = float(max(0.05, min(0.5, positives.min() * 0.9))) if positives.size else 0.5
    # The full help-line block: where manipulative posts without a call to violence
    # rarely reach.
    calm = probs[manip & (y[:, s] == 0), s]
    strong = [t for t in grid if np.mean(calm >= t) <= MAX_STRONG_NOISE]
    out[SAFETY_STRONG] = float(max(min(strong), out[SAFETY])) if strong else 1.0
    return out


def train_posts(
    settings: Settings,
    embeddings: KelisimEmbeddings,
    *,
    root: Path = POSTS_DATA,
    out: Path | None = None,
) -> PostTrainReport:
    """Fit on the train split, pick thresholds out of fold, write the model."""
    from bot.posts.evaluation import score  # avoid a cycle: evaluation uses the detector

    cues = load_cues(settings.safety_dir)
    posts = read_posts(split_files("train", root))
    x = post_matrix(posts, embeddings, cues, settings.data_dir / "cache")
    y = labels(posts)
    strata = [f"{p.lang}/{int(p.manipulative)}/{int(p.safety)}" for p in posts]
    texts = [p.text for p in posts]
    oof = out_of_fold(x, texts, y, strata, cues)
    detector = detector_for(x, texts, y, cues)
    detector.thresholds = choose_thresholds(oof, y)
    thresholds = detector.thresholds
    detector.meta = {
        "embeddings": embeddings.name,
        "train_posts": len(posts),
        "C": C,
        "ngram_C": NGRAM_C,
        "ngram_features": len(detector.ngrams.vocabulary) if detector.ngrams else 0,
        "folds": FOLDS,
    }
    path = out or settings.safety_dir / MODEL_FILE
    detector.save(path)
    decided = [detector.decide(row, _hits(cues, p.text)) for row, p in zip(oof, posts, strict=True)]
    dev = score(posts, decided)
    return PostTrainReport(len(posts), path, thresholds, dev)


def _hits(cues: PostCues, text: str) -> dict[str, int]:
    hits = cues.hits(text)
    hits[SAFETY] = cues.safety_hits(text)
    return hits
