"""Publish-time screening on planted lines written independently of its rules.

The set (evaluation/datasets/screening/test.jsonl) was written from category
descriptions by another writer; it is only scored, never tuned on. The bounds
below are the measured floor, so a change that weakens screening fails here.
"""

from __future__ import annotations

import json
from collections import Counter

from bot.knowledge.documents import load_corpus
from bot.safety.screening import screen, screen_sentence
from bot.settings import PROJECT_ROOT

DATASET = PROJECT_ROOT / "evaluation" / "datasets" / "screening" / "test.jsonl"


def test_the_published_corpus_has_no_flagged_line():
    corpus = load_corpus(PROJECT_ROOT / "knowledge_base" / "corpus")
    flagged = [
        (doc.lang, unit.id, flag.sentence)
        for doc in corpus.published
        for unit in doc.units
        for flag in screen(f"{unit.question}\n{unit.body}", unit.examples)
    ]
    assert flagged == []


def test_planted_lines_written_by_others_are_caught_and_ordinary_ones_pass():
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    caught: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for row in rows:
        total[(row["lang"], row["kind"])] += 1
        caught[(row["lang"], row["kind"])] += screen_sentence(row["sentence"]) is not None
    for lang in ("kk", "ru", "en"):
        assert caught[(lang, "benign")] == 0  # nothing educational is blocked
        assert caught[(lang, "contact")] == total[(lang, "contact")]  # every link and number
    planted = [k for k in total if k[1] != "benign"]
    recall = sum(caught[k] for k in planted) / sum(total[k] for k in planted)
    assert recall >= 0.35
