"""Character n-gram TF-IDF matching of a question against the answer units.

The model is fitted with scikit-learn's ``TfidfVectorizer`` (``char_wb`` n-grams of
3 to 5 characters, sublinear term frequency, l2 norm) the first time an index
generation is loaded, and kept as plain arrays — the vocabulary, the idf weights
and the unit matrix — in an ``.npz`` file. A new process (``kelisim ask``, a
restarted worker) loads those with numpy and turns a question into the same
vector as scikit-learn would, without importing scikit-learn (that import alone
costs about a second, more than answering) or SciPy (a quarter of a second): the
unit matrix is kept in SciPy's CSR layout and multiplied with numpy.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.models import LANGS, Lang

NGRAMS = (3, 5)
_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, ngrams: tuple[int, int] = NGRAMS) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyser takes from ``text`` (lower-cased).

    Each word is padded with one space on both sides; a word shorter than the
    smallest n gives one n-gram, itself.
    """
    low, high = ngrams
    grams: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:
                break
    return grams


@dataclass(frozen=True, slots=True)
class Rows:
    """A sparse matrix as the three arrays of SciPy's CSR layout."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def from_csr(cls, matrix: Any) -> Rows:
        """From a SciPy sparse matrix (what scikit-learn fits)."""
        csr = matrix.tocsr()
        shape = (int(csr.shape[0]), int(csr.shape[1]))
        return cls(np.asarray(csr.data, np.float64), csr.indices, csr.indptr, shape)

    @classmethod
    def empty(cls, columns: int) -> Rows:
        """No rows: a model that keeps only its vocabulary and idf weights."""
        return cls(np.zeros(0), np.zeros(0, np.int32), np.zeros(1, np.int64), (0, columns))

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Each row's dot product with a dense ``vector`` of ``shape[1]`` values."""
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        products = self.data * vector[self.indices]
        return np.bincount(rows, weights=products, minlength=self.shape[0])


@dataclass(frozen=True, slots=True)
class LexicalModel:
    """One language's fitted model: unit rows × n-gram columns, l2-normalised."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    matrix: Rows

    def vector(self, text: str) -> np.ndarray:
        """``text`` as a dense vocabulary-long row, exactly as the fitted vectoriser gives it."""
        counts = Counter(self.vocabulary[g] for g in char_wb_ngrams(text) if g in self.vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.array(
            [(1.0 + math.log(c)) * self.idf[j] for j, c in counts.items()], dtype=np.float64
        )
        norm = float(np.linalg.norm(values))
        if norm > 0:
            values /= norm
        row = np.zeros(len(self.idf), dtype=np.float64)
        row[columns] = values
        return row

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` with every unit row."""
        return self.matrix.dot(self.vector(text))


def fit(documents: list[str]) -> LexicalModel:
    """Fit a model on one document per unit row (scikit-learn is imported here only)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True)
    matrix = Rows.from_csr(vectorizer.fit_transform(documents))
    vocabulary = {str(g): int(j) for g, j in vectorizer.vocabulary_.items()}
    return LexicalModel(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), matrix)


def save(models: dict[Lang, LexicalModel], path: Path) -> None:
    """Write every language's model to one ``.npz`` file (no pickle)."""
    arrays: dict[str, np.ndarray] = {}
    for lang, model in models.items():
        grams = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
        arrays[f"{lang}.grams"] = np.array(grams, dtype=str)
        arrays[f"{lang}.idf"] = model.idf
        arrays[f"{lang}.data"] = model.matrix.data
        arrays[f"{lang}.indices"] = model.matrix.indices
        arrays[f"{lang}.indptr"] = model.matrix.indptr
        arrays[f"{lang}.shape"] = np.array(model.matrix.shape, dtype=np.int64)
    with path.open("wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]


def load(path: Path) -> dict[Lang, LexicalModel]:
    """Read what :func:`save` wrote: ``OSError`` if it is missing, ``ValueError`` if damaged."""
    try:
        return _load(path)
    except (KeyError, EOFError, zipfile.BadZipFile, IndexError) as exc:
        raise ValueError(f"damaged lexical model {path.name}: {exc}") from None


def _load(path: Path) -> dict[Lang, LexicalModel]:
    models: dict[Lang, LexicalModel] = {}
    with np.load(path, allow_pickle=False) as arrays:
        for lang in LANGS:
            if f"{lang}.grams" not in arrays:
                continue
            grams = arrays[f"{lang}.grams"].tolist()
            rows, columns = (int(x) for x in arrays[f"{lang}.shape"])
            matrix = Rows(
                arrays[f"{lang}.data"],
                arrays[f"{lang}.indices"],
                arrays[f"{lang}.indptr"],
                (rows, columns),
            )
            models[lang] = LexicalModel(
                {g: j for j, g in enumerate(grams)}, arrays[f"{lang}.idf"], matrix
            )
    return models
