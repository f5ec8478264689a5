"""Evaluation speed: how long a run of ``n`` cases takes through the real engine.

The budget is 1,000 cases in at most 60 s on a 2-core machine. The cases are the
real datasets repeated up to ``n``, each copy with its own id and a small textual
variation, so the engine's query cache cannot make later copies free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.engine import Engine
from bot.evaluation.cases import Case, load_datasets
from bot.evaluation.pipeline import evaluate
from bot.settings import PROJECT_ROOT

DATASETS = (PROJECT_ROOT / "evaluation" / "datasets",)
BUDGET_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class BenchResult:
    cases: int
    seconds: float
    workers: int

    @property
    def per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        verdict = "within" if self.seconds <= self.cases / 1000 * BUDGET_SECONDS else "OVER"
        return (
            f"eval: {self.cases} cases in {self.seconds:.1f} s with {self.workers} workers "
            f"({self.per_second:.1f} cases/s; {verdict} the {BUDGET_SECONDS:.0f} s "
            f"per 1,000 budget)"
        )


def bench_cases(n: int, paths: tuple[Path, ...] = DATASETS) -> list[Case]:
    base = load_datasets(paths).cases
    if not base:
        raise ValueError("no cases to benchmark with")
    out: list[Case] = []
    copy = 0
    while len(out) < n:
        for case in base[: n - len(out)]:
            text = case.text if copy == 0 else f"{case.text} ({copy})"
            out.append(case.model_copy(update={"id": f"{case.id}#{copy}", "text": text}))
        copy += 1
    return out


def bench_eval(engine: Engine, n: int = 1000, workers: int = 2) -> BenchResult:
    """Time ``evaluate`` (answering, judging and scoring; no files written)."""
    cases = bench_cases(n)
    started = time.perf_counter()
    evaluate(engine, cases, workers=workers)
    return BenchResult(len(cases), time.perf_counter() - started, workers)


def main() -> None:
    from bot.engine import get_engine

    print(bench_eval(get_engine(record=False)).line())


if __name__ == "__main__":
    main()
