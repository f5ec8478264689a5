"""Publish-time screening on planted lines written independently of its rules.

The set (evaluation/datasets/screening/test.jsonl) was written from category
descriptions by another writer; it is only scored, never tuned on (the screening
model is trained on evaluation/datasets/screening/train, written by other writers
with their own brief). The bounds below are the measured floor, so a change that
weakens screening fails here: the rules alone caught 36% of the planted lines, the
rules and the model together 75%, with no ordinary line flagged either way.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.documents import load_corpus
from bot.knowledge.embeddings import E5Embeddings
from bot.knowledge.screening_check import load_model, model_problems
from bot.safety.screening import scored_text, screen, screen_sentence
from bot.settings import PROJECT_ROOT
from tests.conftest import make_settings

DATASET = PROJECT_ROOT / "evaluation" / "datasets" / "screening" / "test.jsonl"


def test_the_published_corpus_has_no_flagged_line(tmp_path: Path) -> None:
    corpus = load_corpus(PROJECT_ROOT / "knowledge_base" / "corpus")
    flagged = [
        (doc.lang, unit.id, flag.sentence)
        for doc in corpus.published
        for unit in doc.units
        for flag in screen(f"{unit.question}\n{unit.body}", unit.examples)
    ]
    assert flagged == []
    # Nor does the screening model flag any of it (a test in itself: the model is
    # trained on these sentences, but balanced classes could still push one over).
    assert model_problems(corpus.published, make_settings(tmp_path)) == []


def _caught(with_model: bool) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    model = load_model(make_settings(Path("unused")))
    texts = [scored_text(row["sentence"]) or "" for row in rows]
    scored = [i for i, text in enumerate(texts) if text]
    embeddings = E5Embeddings()
    probabilities = dict(
        zip(
            scored,
            model.probabilities(
                [texts[i] for i in scored], lambda t: np.asarray(embeddings.embed_queries(t))
            ),
            strict=True,
        )
    )
    caught: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for i, row in enumerate(rows):
        key = (row["lang"], row["kind"])
        total[key] += 1
        by_rules = screen_sentence(row["sentence"]) is not None
        caught[key] += by_rules or (with_model and probabilities.get(i, 0.0) >= model.threshold)
    return caught, total


@pytest.mark.parametrize(("with_model", "floor"), [(False, 0.35), (True, 0.70)])
def test_planted_lines_written_by_others_are_caught_and_ordinary_ones_pass(
    with_model: bool, floor: float
) -> None:
    caught, total = _caught(with_model)
    for lang in ("kk", "ru", "en"):
        assert caught[(lang, "benign")] == 0  # nothing educational is blocked
        assert caught[(lang, "contact")] == total[(lang, "contact")]  # every link and number
    planted = [k for k in total if k[1] != "benign"]
    recall = sum(caught[k] for k in planted) / sum(total[k] for k in planted)
    assert recall >= floor
