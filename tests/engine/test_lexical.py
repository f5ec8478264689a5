"""The lexical model scores a question exactly as scikit-learn would, without importing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.engine import Engine, lexical
from bot.models import Question
from bot.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "knowledge_base" / "corpus"


def _documents(lang: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob(f"*/{lang}.md"))]


QUERIES = [
    "Что значит, что Казахстан — светское государство?",
    "Зайырлы мемлекет деген не?",
    "what does jihad   actually mean?? I  x",
    "ЖИҺАД деген не, ағай",
    "a",
    "",
    "🙂 emoji-only 🙂🙂",
]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_scores_match_scikit_learn(lang: str, tmp_path: Path) -> None:
    documents = _documents(lang)
    model = lexical.fit(documents)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    matrix = reference.fit_transform(documents)
    analyser = reference.build_analyzer()
    lexical.save({"ru": model}, tmp_path / "m.npz")  # any language key round-trips
    loaded = lexical.load(tmp_path / "m.npz")["ru"]
    for query in [*QUERIES, documents[0][:300], documents[-1][-500:]]:
        assert lexical.char_wb_ngrams(query) == analyser(query)
        expected = (matrix @ reference.transform([query]).T).toarray().ravel()
        np.testing.assert_allclose(model.scores(query), expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(loaded.scores(query), expected, rtol=0, atol=1e-12)


def test_a_damaged_model_file_is_an_error_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    lexical.save({"en": lexical.fit(_documents("en"))}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="damaged lexical model"):
        lexical.load(path)


def test_answering_in_a_new_process_imports_neither_scikit_learn_scipy_nor_langchain_chroma(
    settings: Settings, engine: Engine
) -> None:
    """What `kelisim ask` loads: the cached lexical model and the index, read with chromadb."""
    engine.answer(Question("What is a secular state?"))  # the generation is loaded and cached
    code = (
        "import sys\n"
        "from bot.engine import get_engine\n"
        "from bot.models import Question\n"
        "reply = get_engine().answer(Question('Зайырлы мемлекет деген не?'))\n"
        "assert reply.decision.value == 'answer', reply\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'langchain_chroma') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KELISIM_")}
    env |= {
        "KELISIM_DATA_DIR": str(settings.data_dir),
        "KELISIM_USER_ID_SALT_FILE": str(settings.user_id_salt_file),
        "KELISIM_RECORD_GAPS": "false",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
