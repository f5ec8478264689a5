"""The release gate: thresholds on metrics, read from ``evaluation/thresholds.yaml``.

``gate_on`` lists the datasets the gate judges (name prefixes such as ``test/``):
a run may also carry the dev split for comparison, but a release is gated on
the frozen test split and the external benchmark, never on what was tuned on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.datafiles import load_yaml
from bot.errors import ConfigurationError
from bot.evaluation.metrics import Metrics
from bot.settings import PROJECT_ROOT

DEFAULT_THRESHOLDS = PROJECT_ROOT / "evaluation" / "thresholds.yaml"


@dataclass(frozen=True, slots=True)
class Threshold:
    metric: str
    min: float | None = None
    max: float | None = None

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"≥ {self.min:g}")
        if self.max is not None:
            parts.append(f"≤ {self.max:g}")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class Check:
    """One threshold against its measured value; ``value`` is ``None`` when not measured."""

    threshold: Threshold
    value: float | None

    @property
    def measured(self) -> bool:
        return self.value is not None

    @property
    def ok(self) -> bool:
        t, v = self.threshold, self.value
        if v is None:
            return True
        return (t.min is None or v >= t.min - 1e-12) and (t.max is None or v <= t.max + 1e-12)

    def describe(self) -> str:
        value = "not measured" if self.value is None else f"{self.value:.4g}"
        return f"{self.threshold.metric} = {value} (needs {self.threshold.describe()})"


def load_scope(path: Path) -> tuple[str, ...]:
    """The dataset prefixes the gate judges (empty: the whole run)."""
    try:
        data = load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    scope = data.get("gate_on") if isinstance(data, dict) else None
    if scope is None:
        return ()
    if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
        raise ConfigurationError(f"{path}: gate_on: a list of dataset names, e.g. [test/, xstest]")
    return tuple(scope)


def load_thresholds(path: Path, known: set[str]) -> list[Threshold]:
    """Read thresholds; an unknown metric or a bound that is not a number is an error."""
    try:
        data = load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    entries = data.get("thresholds") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ConfigurationError(f"{path}: needs a `thresholds:` mapping of metric → min/max")
    out = []
    for metric, bounds in entries.items():
        if metric not in known:
            raise ConfigurationError(
                f"{path}: {metric}: unknown metric (known: {', '.join(sorted(known))})"
            )
        if not isinstance(bounds, dict) or not set(bounds) <= {"min", "max"} or not bounds:
            raise ConfigurationError(f"{path}: {metric}: give `min:` and/or `max:`")
        try:
            values = {k: float(v) for k, v in bounds.items()}
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"{path}: {metric}: bounds must be numbers") from exc
        out.append(Threshold(str(metric), values.get("min"), values.get("max")))
    return out


def check(metrics: Metrics, thresholds: list[Threshold]) -> list[Check]:
    return [Check(t, metrics.get(t.metric)) for t in thresholds]
