"""Which answer unit a question is about: a classifier over the units' own phrasings.

Nearest-phrasing similarity rewards a question that happens to share wording with
one phrasing; a multinomial logistic regression fitted on *all* of a unit's
phrasings (and its text) in the three languages learns what they have in common,
so a question worded unlike any single phrasing still finds its unit. Fitted with
scikit-learn the first time an index generation is loaded (about half a minute
for the whole corpus), it is kept as plain arrays in an ``.npz`` file; a new process
scores a question with numpy alone.

The classifier only re-orders the units (see :mod:`bot.engine.retrieval`): whether
the corpus answers a question at all is still judged by similarity, because class
probabilities say nothing about a question no unit was written for.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Inverse regularisation strength, chosen (with the weight in retrieval) on one
# phrasing per unit held out from the fit, not on the answers splits.
C = 100.0
MAX_ITER = 300


@dataclass(frozen=True, slots=True)
class UnitClassifier:
    """``weights`` (units × dimensions) and ``bias`` of a softmax over unit rows."""

    rows: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def probabilities(self, query: np.ndarray, n_units: int) -> np.ndarray:
        """The probability of each of ``n_units`` unit rows for one query vector."""
        out = np.zeros(n_units, dtype=np.float64)
        if len(self.rows) == 0:
            return out
        logits = self.weights @ query.astype(np.float64) + self.bias
        exp = np.exp(logits - logits.max())
        out[self.rows] = exp / exp.sum()
        return out


def fit(vectors: np.ndarray, rows: np.ndarray) -> UnitClassifier:
    """Fit on ``vectors`` (one per row of ``rows``, the unit each belongs to)."""
    classes = np.unique(rows).astype(np.int64)
    if len(classes) < 2:  # nothing to tell apart: every question is about that unit
        dims = vectors.shape[1] if vectors.ndim == 2 else 0
        return UnitClassifier(classes, np.zeros((len(classes), dims)), np.zeros(len(classes)))
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=MAX_ITER)
    model.fit(vectors.astype(np.float64), rows)
    weights = np.asarray(model.coef_, dtype=np.float64)
    bias = np.asarray(model.intercept_, dtype=np.float64)
    if len(model.classes_) == 2:  # one logit for the second class: as a softmax, [0, logit]
        weights = np.vstack([np.zeros_like(weights), weights])
        bias = np.concatenate([np.zeros(1), bias])
    return UnitClassifier(np.asarray(model.classes_, dtype=np.int64), weights, bias)


def save(model: UnitClassifier, path: Path) -> None:
    """Write ``model`` to one ``.npz`` file (no pickle)."""
    with path.open("wb") as handle:
        np.savez(handle, rows=model.rows, weights=model.weights, bias=model.bias)


def load(path: Path) -> UnitClassifier:
    """Read what :func:`save` wrote: ``OSError`` if it is missing, ``ValueError`` if damaged."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            model = UnitClassifier(arrays["rows"], arrays["weights"], arrays["bias"])
    except (KeyError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"damaged unit classifier {path.name}: {exc}") from None
    if model.weights.shape[0] != len(model.rows) or len(model.bias) != len(model.rows):
        raise ValueError(f"damaged unit classifier {path.name}: shapes disagree")
    return model
