"""Fixtures for the evaluation tests: hand-made results with known metric values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.evaluation.runner import CaseResult

MakeResult = Callable[..., CaseResult]


def _result(case_id: str, expected: list[str], decision: str, **extra: Any) -> CaseResult:
    values: dict[str, Any] = {
        "id": case_id,
        "lang": "en",
        "category": "test",
        "group": None,
        "expected": expected,
        "decision": decision,
        "language": "en",
        "reply": "",
        "sources": [],
        "latency_ms": 10.0,
        "passed": decision in expected,
        "reasons": [],
        "dataset": "hand-made",
        "text": f"question {case_id}",
    }
    values.update(extra)
    return CaseResult(**values)


@pytest.fixture
def make_result() -> MakeResult:
    return _result
