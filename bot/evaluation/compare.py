"""Two runs side by side: metric deltas, and the cases that regressed or were fixed.

A regression is a case that passed in the first run and fails in the second, or a
metric that got worse. Latency is shown but never counts as a regression: it
depends on the machine more than on the change under review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.evaluation.runner import CaseResult

LOWER_IS_BETTER = {"attack_success_rate", "over_refusal_rate", "latency_p50_ms", "latency_p95_ms"}
NOT_JUDGED = {"latency_p50_ms", "latency_p95_ms"}


@dataclass(frozen=True, slots=True)
class Delta:
    metric: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def worse(self) -> bool:
        change = self.change
        if change is None or self.metric in NOT_JUDGED:
            return False
        return change > 1e-9 if self.metric in LOWER_IS_BETTER else change < -1e-9


@dataclass(frozen=True, slots=True)
class CaseChange:
    before: CaseResult
    after: CaseResult


@dataclass(slots=True)
class Comparison:
    deltas: list[Delta] = field(default_factory=list)
    regressed: list[CaseChange] = field(default_factory=list)
    fixed: list[CaseChange] = field(default_factory=list)
    decision_changed: list[CaseChange] = field(default_factory=list)
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)

    @property
    def worse_metrics(self) -> list[Delta]:
        return [d for d in self.deltas if d.worse]

    @property
    def has_regression(self) -> bool:
        return bool(self.regressed or self.worse_metrics)


def compare(
    before: tuple[list[CaseResult], dict[str, Any]], after: tuple[list[CaseResult], dict[str, Any]]
) -> Comparison:
    results_a, summary_a = before
    results_b, summary_b = after
    out = Comparison()
    overall_a, overall_b = summary_a.get("overall", {}), summary_b.get("overall", {})
    for metric in [*overall_a, *(m for m in overall_b if m not in overall_a)]:
        out.deltas.append(Delta(metric, overall_a.get(metric), overall_b.get(metric)))
    by_id_a = {r.id: r for r in results_a}
    by_id_b = {r.id: r for r in results_b}
    for case_id, a in by_id_a.items():
        b = by_id_b.get(case_id)
        if b is None:
            out.only_before.append(case_id)
            continue
        if a.passed and not b.passed:
            out.regressed.append(CaseChange(a, b))
        elif b.passed and not a.passed:
            out.fixed.append(CaseChange(a, b))
        elif a.decision != b.decision:
            out.decision_changed.append(CaseChange(a, b))
    out.only_after = [case_id for case_id in by_id_b if case_id not in by_id_a]
    return out
