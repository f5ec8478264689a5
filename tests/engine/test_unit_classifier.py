"""The unit classifier: fitted on labelled vectors, saved and read back as plain arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.engine import unit_classifier


def _clusters(n_units: int, per_unit: int = 12, dims: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Unit-normalised vectors scattered around one random centre per unit."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(n_units, dims))
    rows = np.repeat(np.arange(n_units), per_unit)
    vectors = centres[rows] + 0.3 * rng.normal(size=(len(rows), dims))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), rows


def _normalised(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_a_question_near_a_units_phrasings_gets_that_unit() -> None:
    vectors, rows = _clusters(5)
    model = unit_classifier.fit(vectors, rows)
    centre = _normalised(vectors[rows == 3].mean(axis=0))
    p = model.probabilities(centre, 5)
    assert p.shape == (5,)
    assert p.sum() == pytest.approx(1.0)
    assert int(np.argmax(p)) == 3


def test_units_without_phrasings_get_probability_zero() -> None:
    vectors, rows = _clusters(3)
    model = unit_classifier.fit(vectors, rows + 2)  # rows 0 and 1 have nothing to learn from
    p = model.probabilities(vectors[0], 5)
    assert p[0] == p[1] == 0.0
    assert p.sum() == pytest.approx(1.0)


def test_two_units_make_a_softmax_too() -> None:
    vectors, rows = _clusters(2)
    model = unit_classifier.fit(vectors, rows)
    assert model.weights.shape == (2, vectors.shape[1])
    assert int(np.argmax(model.probabilities(vectors[-1], 2))) == 1


def test_a_single_unit_is_always_the_answer() -> None:
    vectors, rows = _clusters(1)
    model = unit_classifier.fit(vectors, rows)
    assert model.probabilities(vectors[0], 1).tolist() == [1.0]


def test_saved_and_loaded_model_scores_the_same(tmp_path: Path) -> None:
    vectors, rows = _clusters(4)
    model = unit_classifier.fit(vectors, rows)
    path = tmp_path / "units.npz"
    unit_classifier.save(model, path)
    again = unit_classifier.load(path)
    np.testing.assert_allclose(
        again.probabilities(vectors[5], 4), model.probabilities(vectors[5], 4)
    )


def test_a_damaged_file_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "units.npz"
    path.write_bytes(b"not an npz file")
    with pytest.raises(ValueError, match="damaged unit classifier"):
        unit_classifier.load(path)
    with pytest.raises(OSError):
        unit_classifier.load(tmp_path / "missing.npz")
