"""Vectors saved beside the corpus: a fresh clone builds from them, and they stay true."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.errors import IndexBuildError
from bot.knowledge import saved_vectors, store
from bot.knowledge.documents import load_corpus
from bot.knowledge.embeddings import KelisimEmbeddings, text_key
from bot.knowledge.index import build_index, save_vectors
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import make_settings

KNOWLEDGE = PROJECT_ROOT / "knowledge_base"
GROUPS = ("secular-state", "jihad-meaning")


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "kb" / "corpus"
    for group in GROUPS:
        shutil.copytree(KNOWLEDGE / "corpus" / group, folder / group)
    return folder


def _vectors(settings: Settings) -> dict[str, list[float]]:
    client = store.make_client(settings)
    current = store.read_pointer(client)
    assert current is not None
    out: dict[str, list[float]] = {}
    for name in (current.units, current.phrasings):
        got = client.get_collection(name).get(include=["embeddings"])
        out.update(zip(got["ids"], np.asarray(got["embeddings"]).tolist(), strict=True))
    return out


def test_a_fresh_build_takes_saved_vectors_and_holds_the_same_numbers(
    tmp_path: Path, small_corpus: Path, embeddings: KelisimEmbeddings
) -> None:
    first = make_settings(tmp_path / "data1", corpus_dir=small_corpus)
    with pytest.raises(IndexBuildError, match="kb build"):
        save_vectors(first, embeddings)
    built = build_index(first, embeddings)
    assert built.reused == 0 and built.embedded > 0

    saved = save_vectors(first, embeddings)
    assert (saved.written, saved.unchanged, saved.removed) == (6, 0, 0)
    assert save_vectors(first, embeddings).unchanged == 6  # nothing rewritten

    fresh = make_settings(tmp_path / "data2", corpus_dir=small_corpus)
    clone = build_index(fresh, embeddings)
    assert clone.embedded == 0 and clone.reused == built.embedded + built.reused
    # Saved at half precision, and every index rounds alike: the very same numbers.
    assert _vectors(fresh) == _vectors(first)

    doc = small_corpus / "jihad-meaning" / "ru.md"
    doc.write_text(
        doc.read_text(encoding="utf-8").replace(
            "\nТакже спрашивают:\n", "\nТакже спрашивают:\n- а если спросить иначе\n", 1
        ),
        encoding="utf-8",
    )
    changed = build_index(fresh, embeddings)
    assert changed.embedded == 1
    again = save_vectors(fresh, embeddings)
    assert (again.written, again.unchanged) == (1, 5)

    shutil.rmtree(small_corpus / "secular-state")
    build_index(fresh, embeddings)
    assert save_vectors(fresh, embeddings).removed == 3
    assert not (tmp_path / "kb" / "vectors" / "secular-state").exists()


def test_vectors_saved_for_another_model_or_damaged_are_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    (folder / "topic").mkdir(parents=True)
    keys = np.array([text_key("a question?\nan answer.")], dtype="U32")
    np.savez_compressed(
        folder / "topic" / "en.npz",
        unit_keys=keys,
        unit_vectors=np.ones((1, 4), dtype=np.float16),
        phrasing_keys=np.array([], dtype="U32"),
        phrasing_vectors=np.zeros((0, 4), dtype=np.float16),
    )
    (folder / "topic" / "ru.npz").write_bytes(b"not a zip file")
    cut = (folder / "topic" / "en.npz").read_bytes()
    (folder / "topic" / "kk.npz").write_bytes(cut[: len(cut) // 2])  # a copy cut short
    manifest = {"format": "kelisim-vectors-v1", "embedder": "model-a", "dtype": "float16"}
    (folder / saved_vectors.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    units, phrasings = saved_vectors.load(folder, "model-a")
    assert units == {str(keys[0]): [1.0, 1.0, 1.0, 1.0]} and phrasings == {}
    assert saved_vectors.load(folder, "model-b") == ({}, {})
    assert saved_vectors.load(tmp_path / "nowhere", "model-a") == ({}, {})


def test_the_saved_vectors_cover_the_published_corpus_and_are_the_models(
    embeddings: KelisimEmbeddings,
) -> None:
    """A stale or foreign vectors folder would make every fresh clone slow, or wrong."""
    units, phrasings = saved_vectors.load(KNOWLEDGE / "vectors", embeddings.name)
    assert units, f"no vectors for {embeddings.name}: run `kelisim kb build && kelisim kb vectors`"
    corpus = load_corpus(KNOWLEDGE / "corpus")
    missing = [
        text
        for doc in corpus.published
        for kind, texts in zip(("unit", "phrasing"), saved_vectors.texts_of(doc), strict=True)
        for text in texts
        if text_key(text) not in (units if kind == "unit" else phrasings)
    ]
    assert not missing, (
        f"{len(missing)} texts have no saved vector (e.g. {missing[0]!r}): "
        "run `kelisim kb build && kelisim kb vectors`"
    )
    rng = random.Random(11)
    docs = rng.sample(corpus.published, 12)
    unit_texts = [saved_vectors.texts_of(doc)[0][0] for doc in docs]
    phrasing_texts = [rng.choice(saved_vectors.texts_of(doc)[1]) for doc in docs]
    fresh_units = embeddings.embed_documents(unit_texts)
    fresh_phrasings = embeddings.embed_queries(phrasing_texts)
    for texts, fresh, saved in (
        (unit_texts, fresh_units, units),
        (phrasing_texts, fresh_phrasings, phrasings),
    ):
        for text, vec in zip(texts, fresh, strict=True):
            cosine = float(np.dot(vec, saved[text_key(text)]))
            assert cosine > 0.9999, (text, cosine)
