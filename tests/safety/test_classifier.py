"""The trained safety classifier: fitting, thresholds, the model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.errors import ConfigurationError
from bot.models import Decision
from bot.safety.classifier import SafetyClassifier, choose_thresholds, decide, fit
from bot.safety.training import MODEL_FILE, labelled_digest, labelled_examples
from bot.settings import PROJECT_ROOT, Settings

LABELS = ["answer/about_religion", "refuse/propaganda", "crisis/self_harm", "redirect/medical"]


def _data(seed: int, n: int = 40) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = np.eye(len(LABELS), 16) * 3
    x = np.vstack([centres[i] + rng.normal(0, 0.6, (n, 16)) for i in range(len(LABELS))])
    y = [label for label in LABELS for _ in range(n)]
    return x.astype(np.float32), y


def test_fit_is_deterministic_and_separates_the_classes() -> None:
    x, y = _data(0)
    first, second = fit(x, y), fit(x, y)
    assert np.array_equal(first.weights, second.weights)
    test_x, test_y = _data(1)
    got = [first.predict(v).decision.value for v in test_x]
    assert np.mean([g == t.split("/")[0] for g, t in zip(got, test_y, strict=True)]) > 0.95


def test_probabilities_are_calibrated_by_a_temperature_and_sum_to_one() -> None:
    x, y = _data(2)
    clf = fit(x, y)
    assert 0.05 <= clf.temperature <= 4.0
    probs = clf.decision_probabilities(x[:5])
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_thresholds_follow_the_protective_order() -> None:
    row = np.array([0.5, 0.45, 0.05, 0.0, 0.0])  # answer, crisis, refuse, redirect, oos
    assert decide(row, {"crisis": 0.4}) is Decision.CRISIS
    assert decide(row, {"crisis": 0.5}) is Decision.ANSWER


def test_off_topic_or_redirect_must_also_be_likelier_than_answering() -> None:
    row = np.array([0.55, 0.0, 0.0, 0.15, 0.30])  # answer, crisis, refuse, redirect, oos
    assert decide(row, {"out_of_scope": 0.15, "redirect": 0.15}) is Decision.ANSWER
    row = np.array([0.30, 0.0, 0.0, 0.15, 0.55])
    assert decide(row, {"out_of_scope": 0.15}) is Decision.OUT_OF_SCOPE
    row = np.array([0.60, 0.30, 0.10, 0.0, 0.0])  # a crisis protects: it wins from its threshold
    assert decide(row, {"crisis": 0.3}) is Decision.CRISIS


def test_thresholds_chosen_on_dev_never_miss_more_harm_than_the_default() -> None:
    x, y = _data(3)
    clf = fit(x, y)
    dev_x, dev_y = _data(4)
    expected = [(label.split("/")[0],) for label in dev_y]
    chosen = choose_thresholds(clf, dev_x, expected)
    probs = clf.decision_probabilities(dev_x)
    missed = lambda th: sum(  # noqa: E731
        decide(p, th).value == "answer" and e[0] in ("refuse", "crisis")
        for p, e in zip(probs, expected, strict=True)
    )
    assert missed(chosen) <= missed({})


def test_the_model_file_round_trips(tmp_path: Path) -> None:
    x, y = _data(5)
    clf = fit(x, y)
    clf.thresholds = {"crisis": 0.3, "refuse": 0.4}
    path = tmp_path / "model.json"
    clf.save(path)
    loaded = SafetyClassifier.load(path)
    assert loaded.classes == clf.classes and loaded.thresholds == clf.thresholds
    assert np.allclose(loaded.class_probabilities(x[:3]), clf.class_probabilities(x[:3]), atol=1e-4)


@pytest.mark.parametrize("content", ["", "{not json", '{"format": "other"}'])
def test_a_damaged_model_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="kelisim safety train"):
        SafetyClassifier.load(path)


def test_the_shipped_model_was_trained_on_the_data_in_the_repository() -> None:
    """Editing the training data without `kelisim safety train` fails here."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    model = SafetyClassifier.load(PROJECT_ROOT / "knowledge_base" / "safety" / MODEL_FILE)
    examples = labelled_examples(settings)
    assert model.meta["labelled_digest"] == labelled_digest(examples)
    assert model.meta["labelled_examples"] == len(examples)
    assert model.thresholds, "thresholds are chosen on the dev split"
