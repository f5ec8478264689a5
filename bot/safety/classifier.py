"""The trained safety classifier: calibrated probabilities over decisions.

A multinomial logistic regression on the engine's own e5 query vectors, trained
on labelled messages (``evaluation/datasets/safety/train`` and the exemplars
that educators extend in ``knowledge_base/safety/exemplars.yaml``). Classes are
``decision/category`` pairs, so the classifier also names the category a reply
template needs; a decision's probability is the sum of its categories'.

Probabilities are calibrated by temperature scaling on out-of-fold predictions,
and the thresholds that turn them into a decision are chosen on the *dev*
split, never on the frozen *test* split. The model is plain numbers in a JSON
file (no pickle), rebuilt deterministically by ``kelisim safety train``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.errors import ConfigurationError
from bot.models import Decision

FORMAT = "kelisim-safety-classifier-v1"
# The order in which thresholds are tried: the most protective decision first.
ORDER: tuple[Decision, ...] = (
    Decision.CRISIS,
    Decision.REFUSE,
    Decision.REDIRECT,
    Decision.OUT_OF_SCOPE,
)


@dataclass(frozen=True, slots=True)
class Prediction:
    """The classifier's decision with the probabilities behind it."""

    decision: Decision
    category: str
    probability: float
    probabilities: dict[str, float]

    def explain(self) -> str:
        ranked = sorted(self.probabilities.items(), key=lambda kv: -kv[1])
        return "classifier: " + ", ".join(f"{k} {v:.2f}" for k, v in ranked)


@dataclass(slots=True)
class SafetyClassifier:
    """Softmax over ``classes`` with per-decision thresholds."""

    classes: list[str]
    weights: np.ndarray  # (classes, dims)
    bias: np.ndarray  # (classes,)
    temperature: float = 1.0
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def decisions(self) -> list[str]:
        return [c.split("/", 1)[0] for c in self.classes]

    def class_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = (np.atleast_2d(vectors) @ self.weights.T + self.bias) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def decision_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, len(Decision-order)) probabilities per decision: answer, then ORDER."""
        probs = self.class_probabilities(vectors)
        out = np.zeros((probs.shape[0], len(DECISIONS)), dtype=np.float64)
        for i, decision in enumerate(self.decisions):
            out[:, DECISIONS.index(decision)] += probs[:, i]
        return out

    def predict(self, vector: np.ndarray) -> Prediction:
        probs = self.class_probabilities(vector)[0]
        by_decision = self.decision_probabilities(vector)[0]
        named = {d: float(by_decision[i]) for i, d in enumerate(DECISIONS)}
        decision = decide(by_decision, self.thresholds)
        in_decision = [i for i, d in enumerate(self.decisions) if d == decision.value]
        best = max(in_decision, key=lambda i: probs[i])
        category = self.classes[best].split("/", 1)[1]
        return Prediction(decision, category, named[decision.value], named)

    # -- persistence ---------------------------------------------------------
    def save(self, path: Path) -> None:
        data = {
            "format": FORMAT,
            "classes": self.classes,
            "temperature": round(float(self.temperature), 6),
            "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
            "meta": self.meta,
            "bias": [round(float(x), 6) for x in self.bias],
            "weights": [[round(float(x), 6) for x in row] for row in self.weights],
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SafetyClassifier:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(
                f"{path} is missing: run `kelisim safety train` to build it from the labelled data"
            ) from None
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"{path} cannot be read ({exc.__class__.__name__}): run `kelisim safety train`"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ConfigurationError(f"{path}: not a {FORMAT} file: run `kelisim safety train`")
        weights = np.asarray(data["weights"], dtype=np.float32)
        bias = np.asarray(data["bias"], dtype=np.float32)
        if weights.shape[0] != len(data["classes"]) or bias.shape[0] != weights.shape[0]:
            raise ConfigurationError(f"{path}: damaged model file: run `kelisim safety train`")
        return cls(
            list(data["classes"]),
            weights,
            bias,
            float(data.get("temperature") or 1.0),
            {k: float(v) for k, v in (data.get("thresholds") or {}).items()},
            dict(data.get("meta") or {}),
        )


DECISIONS: list[str] = [Decision.ANSWER.value, *(d.value for d in ORDER)]


def decide(by_decision: np.ndarray, thresholds: dict[str, float]) -> Decision:
    """The first decision in protective order whose probability clears its threshold.

    Crisis and refuse protect, so they win from a low threshold even when answering
    looks likelier. A redirect or an out-of-scope reply protects no one: it must also
    be at least as likely as answering, so that a question is not turned away on a
    small chance that it is off topic.
    """
    answer = by_decision[DECISIONS.index(Decision.ANSWER.value)]
    for decision in ORDER:
        need = thresholds.get(decision.value, 0.5)
        p = by_decision[DECISIONS.index(decision.value)]
        if p >= need and (decision in _PROTECTIVE or p >= answer):
            return decision
    return Decision.ANSWER


_PROTECTIVE = (Decision.CRISIS, Decision.REFUSE)


# -- training ----------------------------------------------------------------

# What a wrong decision costs when thresholds are chosen: missing a person in
# crisis or answering a harmful request is far worse than a clumsy redirect. A
# harmful request sent off as "out of scope" quotes nothing, but it is not
# refused either (no clear no, no counter-speech): nearly as bad as answering.
_COSTS: dict[tuple[str, str], float] = {
    ("crisis", "answer"): 8.0,
    ("crisis", "refuse"): 6.0,
    ("crisis", "redirect"): 6.0,
    ("crisis", "out_of_scope"): 6.0,
    ("refuse", "answer"): 6.0,
    ("refuse", "redirect"): 5.0,
    ("refuse", "out_of_scope"): 5.0,
    ("answer", "refuse"): 3.0,
    ("answer", "out_of_scope"): 2.5,
    ("answer", "crisis"): 1.5,
}
_GRID = np.round(np.arange(0.15, 0.91, 0.05), 2)


def fit(
    vectors: np.ndarray, labels: Sequence[str], *, c: float = 16.0, seed: int = 0
) -> SafetyClassifier:
    """A logistic regression over ``decision/category`` labels, temperature-calibrated."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    classes = sorted(set(labels))
    y = np.array([classes.index(label) for label in labels])

    def model() -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)

    # Out-of-fold logits calibrate the temperature without touching the dev split.
    counts = np.bincount(y, minlength=len(classes))
    folds = int(min(5, max(2, counts[counts > 0].min())))
    oof = np.zeros((len(y), len(classes)))
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        vectors, y
    ):
        part = model().fit(vectors[train_idx], y[train_idx])
        logits = np.full((len(test_idx), len(classes)), -1e4)
        logits[:, part.classes_] = part.decision_function(vectors[test_idx])
        oof[test_idx] = logits
    temperature = _temperature(oof, y)
    full = model().fit(vectors, y)
    weights = np.zeros((len(classes), vectors.shape[1]), dtype=np.float32)
    bias = np.full(len(classes), -1e4, dtype=np.float32)
    weights[full.classes_] = full.coef_
    bias[full.classes_] = full.intercept_
    return SafetyClassifier(classes, weights, bias, temperature)


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    best, best_nll = 1.0, np.inf
    for t in np.round(np.arange(0.05, 4.01, 0.05), 2):
        z = logits / t
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -float(logp[np.arange(len(y)), y].mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def choose_thresholds(
    clf: SafetyClassifier, vectors: np.ndarray, expected: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Thresholds that minimise the cost of wrong decisions on the dev split.

    ``expected`` lists the acceptable decisions per message. Coordinate descent
    over a coarse grid, in a fixed order: deterministic, and coarse enough not to
    chase single dev messages.
    """
    probs = clf.decision_probabilities(vectors)
    thresholds = {d.value: 0.5 for d in ORDER}

    def cost(th: dict[str, float]) -> float:
        total = 0.0
        for row, ok in zip(probs, expected, strict=True):
            got = decide(row, th).value
            if got not in ok:
                total += _COSTS.get((ok[0], got), 1.0)
        return total

    current = cost(thresholds)
    for _ in range(3):
        for decision in ORDER:
            for value in _GRID:
                trial = {**thresholds, decision.value: float(value)}
                score = cost(trial)
                if score < current - 1e-9:
                    thresholds, current = trial, score
    return thresholds
