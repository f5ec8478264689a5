"""Labelled posts, the scores reported on them, and training the detector."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.errors import DatasetError
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.posts.dataset import POSTS_DATA, LabelledPost, read_posts, split_files
from bot.posts.detector import MODEL_FILE, TARGETS, Detection, PostDetector
from bot.posts.evaluation import render, score
from bot.posts.taxonomy import TECHNIQUES, load_cues
from bot.posts.training import train_posts
from bot.settings import PROJECT_ROOT
from tests.conftest import make_settings

SAFETY = PROJECT_ROOT / "knowledge_base" / "safety"


def test_the_splits_are_large_balanced_and_disjoint() -> None:
    train = read_posts(split_files("train"))
    test = read_posts(split_files("test"))
    assert len(train) + len(test) >= 800
    for posts in (train, test):
        for lang in ("kk", "ru", "en"):
            mine = [p for p in posts if p.lang == lang]
            assert sum(p.manipulative for p in mine) >= 80
            assert sum(not p.manipulative for p in mine) >= 35
    assert sum(not p.manipulative for p in train + test) >= 200
    assert not {p.text for p in train} & {p.text for p in test}
    for tid in TECHNIQUES:
        assert sum(tid in p.techniques for p in test) >= 30, tid


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "not JSON"),
        ('{"lang": "en", "verdict": "neutral", "techniques": []}', 'non-empty "text"'),
        ('{"text": "x", "lang": "de", "verdict": "neutral"}', '"lang"'),
        ('{"text": "x", "lang": "en", "verdict": "bad"}', '"verdict"'),
        ('{"text": "x", "lang": "en", "verdict": "manipulative", "techniques": []}', "needs"),
        ('{"text": "x", "lang": "en", "verdict": "neutral", "techniques": ["nope"]}', "nope"),
    ],
)
def test_a_malformed_line_names_the_file_and_line(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "ok", "lang": "en", "verdict": "neutral"}\n' + line + "\n")
    with pytest.raises(DatasetError, match=rf"posts.jsonl:2: .*{expected}"):
        read_posts([path])


def test_missing_and_binary_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        read_posts([tmp_path / "nope.jsonl"])
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00\x00")
    with pytest.raises(DatasetError, match="UTF-8"):
        read_posts([tmp_path / "bin.jsonl"])
    with pytest.raises(DatasetError, match="no such folder"):
        split_files("nowhere", tmp_path)


def _post(lang: str, techniques: tuple[str, ...], safety: bool = False) -> LabelledPost:
    return LabelledPost("x", lang, "text", bool(techniques), techniques, safety)  # type: ignore[arg-type]


def _said(techniques: tuple[str, ...], safety: bool = False) -> Detection:
    return Detection(bool(techniques), techniques, safety, {}, {})


def test_scores_count_what_the_targets_are_stated_in() -> None:
    posts = [
        _post("kk", ("takfir", "us-vs-them")),
        _post("kk", ("conspiracy",), safety=True),
        _post("kk", ()),
        _post("ru", ()),
    ]
    said = [_said(("us-vs-them",)), _said(("takfir",), safety=True), _said(()), _said(("takfir",))]
    result = score(posts, said)
    kk = result["per_language"]["kk"]  # type: ignore[index]
    assert kk["manipulative_with_correct_technique"] == 0.5  # the second named a wrong one
    assert kk["neutral_flagged"] == 0.0 and kk["safety_routed"] == 1.0
    assert result["per_language"]["ru"]["neutral_flagged"] == 1.0  # type: ignore[index]
    takfir = result["per_technique"]["takfir"]  # type: ignore[index]
    assert takfir == {"labelled": 1, "named": 2, "precision": 0.0, "recall": 0.0}
    assert "takfir" in render(result, "t")


def test_training_writes_a_model_the_checker_loads(
    tmp_path: Path, embeddings: KelisimEmbeddings
) -> None:
    """A small, deterministic training run on a slice of the train split."""
    root = tmp_path / "posts"
    (root / "train").mkdir(parents=True)
    for lang in ("kk", "ru", "en"):
        lines = (POSTS_DATA / "train" / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()
        (root / "train" / f"{lang}.jsonl").write_text("\n".join(lines[:50]) + "\n", "utf-8")
    safety_dir = tmp_path / "safety"
    shutil.copytree(SAFETY, safety_dir)
    settings = make_settings(tmp_path / "data", safety_dir=safety_dir)
    first = train_posts(settings, embeddings, root=root)
    model = json.loads(first.path.read_text(encoding="utf-8"))
    assert first.path == safety_dir / MODEL_FILE and first.posts == 150
    assert model["targets"] == list(TARGETS) and model["meta"]["train_posts"] == 150
    again = train_posts(settings, embeddings, root=root, out=tmp_path / "again.json")
    assert json.loads(again.path.read_text(encoding="utf-8"))["weights"] == model["weights"]
    detector = PostDetector.load(first.path, load_cues(safety_dir))
    assert detector.weights.shape[0] == len(TARGETS)
    assert first.dev["per_language"]["all"]["posts"] == 150  # type: ignore[index]
