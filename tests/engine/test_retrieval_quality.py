"""Retrieval quality on the labelled answers dev set, with the real embedding model.

The frozen test set (``answers/test.jsonl``) is not used here: it is only
measured by ``kelisim eval run`` and reported, never tuned against.
"""

from __future__ import annotations

import json

import numpy as np

from bot.engine import Engine
from bot.language import detect
from bot.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "evaluation" / "datasets" / "answers" / "dev.jsonl"


def _cases() -> list[dict]:
    return [
        json.loads(line)
        for line in DATASET.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_set_covers_every_language() -> None:
    cases = _cases()
    per_lang = {
        lang: sum(c["lang"] == lang and bool(c["units"]) for c in cases)
        for lang in ("kk", "ru", "en")
    }
    assert min(per_lang.values()) >= 40


def test_unit_hit_at_3_and_topic_recall_at_3(engine: Engine) -> None:
    cases = [c for c in _cases() if c["units"]]
    unit_hits = topic_hits = 0
    for case in cases:
        detection = detect(case["text"])
        query = detection.cyrillic or case["text"]
        vector = engine.embeddings.query_vector(query)
        top = [h.unit_id for h in engine.retriever.search(vector, detection.lang, 3, query)]
        unit_hits += any(u in case["units"] for u in top)
        topic_hits += any(u.split("/")[0] in case["must_cite"] for u in top)
    print(f"unit hit@3 {unit_hits / len(cases):.3f}, topic recall@3 {topic_hits / len(cases):.3f}")
    assert unit_hits / len(cases) >= 0.85
    assert topic_hits / len(cases) >= 0.9


def test_every_published_unit_is_found_by_its_own_question(engine: Engine) -> None:
    """A unit whose own heading does not retrieve it cannot be reached by anyone."""
    headings = []
    for unit_id in engine.retriever.unit_ids():
        for lang in ("kk", "ru", "en"):
            unit = engine.retriever.unit(unit_id, lang)
            assert unit is not None
            headings.append((unit_id, lang, unit.question))
    # Embedded in batches: one by one, the 4,000 headings took minutes on a busy machine.
    vectors = np.asarray(
        engine.embeddings.embed_queries([q for _, _, q in headings]), dtype=np.float32
    )
    missed = []
    for (unit_id, lang, question), vector in zip(headings, vectors, strict=True):
        top = [h.unit_id for h in engine.retriever.search(vector, lang, 3, question)]
        if unit_id not in top:
            missed.append(f"{unit_id} ({lang})")
    assert len(missed) <= 0.02 * len(headings), missed
