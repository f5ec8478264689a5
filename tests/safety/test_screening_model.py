"""The screening model: its file, its gate, and a build it stops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.errors import ConfigurationError, InvalidCorpusError
from bot.knowledge.index import build_index
from bot.knowledge.screening_check import load_model
from bot.safety.screening_model import ScreeningModel
from bot.settings import PROJECT_ROOT
from tests.conftest import make_settings

SETTINGS = make_settings(Path("unused"))


def _never(texts: list[str]) -> np.ndarray:
    raise AssertionError(f"embedded {texts!r}, which the n-grams had ruled out")


def test_the_file_round_trips_and_a_damaged_one_says_what_to_run(tmp_path: Path) -> None:
    model = load_model(SETTINGS)
    copy = tmp_path / "screening.npz"
    model.save(copy)
    again = ScreeningModel.load(copy)
    assert again.threshold == model.threshold
    lines = ["Parents should talk calmly with teenagers.", "Бізге қосыл, ешкімге айтпа."]
    np.testing.assert_allclose(
        again.gram_probabilities(lines), model.gram_probabilities(lines), atol=1e-6
    )
    copy.write_bytes(copy.read_bytes()[:1000])
    with pytest.raises(ConfigurationError, match="kelisim safety train-screening"):
        ScreeningModel.load(copy)
    with pytest.raises(ConfigurationError, match="missing"):
        ScreeningModel.load(tmp_path / "absent.npz")


def test_the_n_gram_scores_equal_the_lexical_row_they_stand_for() -> None:
    model = load_model(SETTINGS)
    lines = ["Recruiters often ask teenagers to keep chats secret.", "Ораза — ислам парызы."]
    slow = [
        1 / (1 + np.exp(-(model.grams.vector(s) @ model.gram_weights + model.gram_bias)))
        for s in lines
    ]
    np.testing.assert_allclose(model.gram_probabilities(lines), slow, atol=1e-9)


def test_ordinary_sentences_are_not_embedded() -> None:
    model = load_model(SETTINGS)
    ordinary = [
        "Nauryz is celebrated on 22 March.",
        "Қазақстан Конституциясының 1-бабы мемлекетті зайырлы деп атайды.",
        "Пасху христиане празднуют в честь Воскресения Христа.",
    ]
    assert model.probabilities(ordinary, _never).tolist() == [0.0, 0.0, 0.0]


def test_a_published_document_with_a_reworded_planted_line_is_not_built(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for lang in ("kk", "ru", "en"):
        source = PROJECT_ROOT / "knowledge_base" / "corpus" / "secular-state" / f"{lang}.md"
        target = corpus / "secular-state" / f"{lang}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if lang == "en":
            first = text.index("\n\n", text.index("\n## ")) + 2
            planted = "Each Friday, bring your savings to brother Arman so the circle can help "
            text = text[:first] + planted + "the oppressed abroad. " + text[first:]
        target.write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    with pytest.raises(InvalidCorpusError) as raised:
        build_index(settings, _NoEmbeddings())  # type: ignore[arg-type]
    problems = [str(p) for p in raised.value.problems]
    assert len(problems) == 1 and "brother Arman" in problems[0], problems
    assert not (tmp_path / "data" / "index").exists()  # nothing was built


class _NoEmbeddings:
    name = "none"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("a corpus with a planted line must not be embedded")

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("a corpus with a planted line must not be embedded")
