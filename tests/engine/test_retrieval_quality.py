"""Retrieval quality on the labelled set, with the real embedding model."""

from __future__ import annotations

import json

from bot.engine import Engine
from bot.language import detect
from bot.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "evaluation" / "datasets" / "retrieval"


def _cases() -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(DATASET.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_set_is_big_and_cross_lingual_enough() -> None:
    cases = _cases()
    per_lang = {lang: sum(c["lang"] == lang for c in cases) for lang in ("kk", "ru", "en")}
    assert min(per_lang.values()) >= 20
    assert sum(c["cross_lingual"] for c in cases) >= len(cases) / 3


def test_recall_at_3_by_document_group(engine: Engine) -> None:
    cases = _cases()
    hits = 0
    for case in cases:
        detection = detect(case["text"])
        vector = engine.embeddings.query_vector(detection.cyrillic or case["text"])
        groups: list[str] = []
        for passage in engine.retriever.search(vector, 12, detection.lang):
            if passage.group not in groups:
                groups.append(passage.group)
        hits += any(g in case["must_cite"] for g in groups[:3])
    recall = hits / len(cases)
    print(f"recall@3 = {recall:.3f} over {len(cases)} questions")
    assert recall >= 0.9
