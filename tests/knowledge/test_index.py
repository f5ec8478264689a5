"""Index builds: incremental, atomic, tolerant of bad documents; embedded and server Chroma."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import numpy as np
import pytest

from bot.engine import Engine
from bot.errors import ConfigurationError, IndexBuildError, InvalidCorpusError
from bot.knowledge import store
from bot.knowledge.embeddings import CachedEmbeddings, KelisimEmbeddings
from bot.knowledge.index import build_index
from bot.models import Decision, Question
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import make_settings
from tests.servers import free_port, serving, wait_for

CORPUS = PROJECT_ROOT / "knowledge_base" / "corpus"
GROUPS = ("secular-state", "jihad-meaning")
SECULAR = "What does it mean that Kazakhstan is a secular state?"


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for group in GROUPS:
        shutil.copytree(CORPUS / group, folder / group)
    return folder


def _settings(tmp_path: Path, corpus: Path, **extra: object) -> Settings:
    return make_settings(tmp_path / "data", corpus_dir=corpus, **extra)


def test_rebuild_reuses_vectors_and_unchanged_build_does_nothing(
    tmp_path: Path, small_corpus: Path, embeddings: KelisimEmbeddings
) -> None:
    s = _settings(tmp_path, small_corpus)
    first = build_index(s, embeddings)
    assert first.status == "built" and first.documents == 6 and first.reused == 0
    again = build_index(s, embeddings)
    assert again.status == "unchanged" and again.embedded == 0

    doc = small_corpus / "jihad-meaning" / "en.md"
    text = doc.read_text(encoding="utf-8")
    doc.write_text(
        text.replace("\nAlso asked:\n", "\nAlso asked:\n- one more way to ask it\n", 1),
        encoding="utf-8",
    )
    changed = build_index(s, embeddings)
    assert changed.status == "built"
    # Only the new phrasing is embedded; every other vector is reused.
    assert changed.embedded == 1
    assert changed.reused == changed.units + changed.phrasings - changed.embedded


def test_the_screening_model_reads_a_corpus_only_when_it_is_built(
    tmp_path: Path,
    small_corpus: Path,
    embeddings: KelisimEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`make run` builds on every start: an unchanged corpus is not screened again."""
    from bot.knowledge import index

    screened: list[int] = []
    real = index.model_problems

    def counting(documents, settings):  # type: ignore[no-untyped-def]
        screened.append(len(documents))
        return real(documents, settings)

    monkeypatch.setattr(index, "model_problems", counting)
    s = _settings(tmp_path, small_corpus)
    assert build_index(s, embeddings).status == "built"
    assert build_index(s, embeddings).status == "unchanged"
    assert screened == [6]
    doc = small_corpus / "jihad-meaning" / "en.md"
    doc.write_text(
        doc.read_text(encoding="utf-8").replace("\nAlso asked:\n", "\nAlso asked:\n- why\n", 1),
        encoding="utf-8",
    )
    assert build_index(s, embeddings).status == "built"
    assert build_index(s, embeddings, rebuild=True).status == "built"
    assert screened == [6, 6, 6]


def test_a_corpus_with_invalid_documents_is_not_built(
    tmp_path: Path, small_corpus: Path, embeddings: KelisimEmbeddings
) -> None:
    """A broken file must not make its last good version disappear: nothing is built."""
    s = _settings(tmp_path, small_corpus)
    first = build_index(s, embeddings)
    bad = small_corpus / "broken" / "en.md"
    bad.parent.mkdir()
    bad.write_text("---\nid: broken-en\nlang: fr\n---\nText\n", encoding="utf-8")
    with pytest.raises(InvalidCorpusError) as info:
        build_index(s, embeddings)
    messages = [str(p) for p in info.value.problems]
    assert any("broken/en.md: lang: must be one of kk, ru, en" in m for m in messages)
    assert any("broken/en.md: sources: is required" in m for m in messages)
    assert "broken/en.md" in str(info.value)
    assert store.read_pointer(store.make_client(s)) == first.generation


class _Exploding(KelisimEmbeddings):
    name = "exploding"

    def __init__(self, inner: KelisimEmbeddings, after: int) -> None:
        self.inner, self.left = inner, after

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.left -= len(texts)
        if self.left < 0:
            raise RuntimeError("disk full")
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        self.left -= len(texts)
        if self.left < 0:
            raise RuntimeError("disk full")
        return self.inner.embed_queries(texts)


def test_a_failed_build_leaves_the_previous_index_serving(
    tmp_path: Path, small_corpus: Path, embeddings: KelisimEmbeddings
) -> None:
    s = _settings(tmp_path, small_corpus)
    build_index(s, embeddings)
    client = store.make_client(s)
    before = store.read_pointer(client)
    assert before is not None
    with pytest.raises(IndexBuildError):
        build_index(s, _Exploding(embeddings, after=20), rebuild=True, client=client)
    assert store.read_pointer(client) == before
    names = store.collection_names(client)
    assert sorted(n for n in names if n.startswith(store.PREFIX)) == sorted(before.collections)
    engine = Engine(s, embeddings=embeddings, client=client)
    assert engine.answer(Question("Что такое джихад?")).decision is Decision.ANSWER


def test_cached_embeddings_embed_only_unknown_text(embeddings: KelisimEmbeddings) -> None:
    cache: dict[str, list[float]] = {}
    cached = CachedEmbeddings(embeddings, cache)
    cached.embed_documents(["one", "two"])
    cached.embed_documents(["two", "three"])
    assert cached.embedded == 3


def test_running_engine_picks_up_a_rebuilt_index(
    tmp_path: Path,
    small_corpus: Path,
    embeddings: KelisimEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = _settings(tmp_path, small_corpus)
    build_index(s, embeddings)
    engine = Engine(s, embeddings=embeddings)
    assert engine.answer(Question("What is a secular state?")).decision is Decision.ANSWER
    shutil.rmtree(small_corpus / "secular-state")
    build_index(s, embeddings)
    monkeypatch.setattr("bot.engine.retrieval.RELOAD_CHECK_SECONDS", 0.0)
    reply = engine.answer(Question("What does it mean that Kazakhstan is a secular state?"))
    assert not any(u.startswith("secular-state/") for u in reply.units)


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    chroma = Path(shutil.which("chroma") or PROJECT_ROOT / ".venv" / "bin" / "chroma")
    command = [
        str(chroma),
        "run",
        "--path",
        str(tmp_path / "server"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    with serving(command, f"{url}/api/v2/heartbeat", "chroma server"):
        yield url


def test_chroma_server_mode(
    tmp_path: Path, small_corpus: Path, embeddings: KelisimEmbeddings, chroma_server: str
) -> None:
    s = _settings(tmp_path, small_corpus, chroma_url=chroma_server)
    report = build_index(s, embeddings)
    assert report.status == "built"
    assert not (s.index_dir / "chroma.sqlite3").exists()
    engine = Engine(s, embeddings=embeddings)
    reply = engine.answer(Question("Зайырлы мемлекет деген не?"))
    assert reply.decision is Decision.ANSWER and reply.units[0].startswith("secular-state/")
    assert reply.language == "kk"
    assert build_index(s, embeddings).status == "unchanged"


def test_unreachable_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    s = make_settings(tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigurationError, match="Cannot reach the Chroma server"):
        store.make_client(s)


def test_two_builds_at_once_are_refused_clearly(tmp_path: Path, small_corpus: Path) -> None:
    import fcntl

    s = _settings(tmp_path, small_corpus)
    s.data_dir.mkdir(parents=True)
    with open(s.data_dir / "index.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(IndexBuildError, match="another build is running"):
            build_index(s, _Exploding(None, after=0))  # type: ignore[arg-type]


def test_half_built_generations_left_by_a_killed_build_are_removed(
    tmp_path: Path, small_corpus: Path, embeddings: KelisimEmbeddings
) -> None:
    s = _settings(tmp_path, small_corpus)
    build_index(s, embeddings)
    client = store.make_client(s)
    client.create_collection(f"{store.PREFIX}20200101000000000000_units")  # a kill -9 leftover
    report = build_index(s, embeddings, client=client)
    assert report.status == "unchanged"
    names = [n for n in store.collection_names(client) if n.startswith(store.PREFIX)]
    assert sorted(names) == sorted(report.generation.collections)  # type: ignore[union-attr]


def _kelisim(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_workers_on_a_chroma_server_pick_up_a_build_run_elsewhere(
    tmp_path: Path, small_corpus: Path, chroma_server: str
) -> None:
    """Three processes, as on three machines: a serving worker, and two `kb build` runs
    with data folders of their own. The worker answers from each good generation without
    a restart; a build that fails leaves it on the last good one."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("KELISIM_")}
    cache = PROJECT_ROOT / "data" / "cache"

    def machine(name: str, corpus: Path) -> dict[str, str]:
        data = tmp_path / name
        if cache.is_dir():  # embeddings already computed: the test need not wait for them
            shutil.copytree(cache, data / "cache")
        return {
            **base,
            "KELISIM_DATA_DIR": str(data),
            "KELISIM_CORPUS_DIR": str(corpus),
            "KELISIM_CHROMA_URL": chroma_server,
            "KELISIM_USER_ID_SALT_FILE": str(tmp_path / f"{name}-salt"),
        }

    built = _kelisim("kb", "build", env=machine("builder1", small_corpus), cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    port = free_port()
    worker = machine("worker", tmp_path / "no-corpus-here")
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"

    def topic() -> str | None:
        body = {"model": "kelisim", "messages": [{"role": "user", "content": SECULAR}]}
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()
        return cast(str | None, answer["kelisim"]["topic"])

    proc = subprocess.Popen(
        command, env=worker, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(f"{url}/healthz", "kelisim serve", 180)
        assert topic() == "secular-state"

        smaller = tmp_path / "smaller"
        shutil.copytree(small_corpus, smaller)
        shutil.rmtree(smaller / "secular-state")
        built = _kelisim("kb", "build", env=machine("builder2", smaller), cwd=tmp_path)
        assert built.returncode == 0, built.stdout + built.stderr
        deadline = time.monotonic() + 60
        while topic() == "secular-state":
            assert time.monotonic() < deadline, "the worker kept serving the old generation"
            time.sleep(0.5)

        broken = tmp_path / "broken"
        shutil.copytree(small_corpus, broken)
        (broken / "secular-state" / "en.md").write_text("no front matter", encoding="utf-8")
        failed = _kelisim("kb", "build", env=machine("builder3", broken), cwd=tmp_path)
        assert failed.returncode != 0 and "Traceback" not in failed.stderr
        time.sleep(4)  # longer than a worker waits between looks at the server
        assert topic() != "secular-state"
        assert httpx.get(f"{url}/healthz", timeout=10).json()["checks"]["index"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_pointer_copy_that_cannot_be_written_never_outlives_its_generation(
    tmp_path: Path,
) -> None:
    """A build that cannot update the copy removes the old one: readers then ask Chroma."""
    from bot.knowledge import store

    mirror = tmp_path / "cache" / "pointer.json"
    old = store.Generation("kb_old_units", "kb_old_phrasings", "f" * 32, "e5", "2026-01-01")
    new = store.Generation("kb_new_units", "kb_new_phrasings", "e" * 32, "e5", "2026-01-02")
    store.write_mirror(mirror, old)
    assert store.read_mirror(mirror) == old
    assert store.mirrored_and_cached(mirror.parent, mirror) is None  # no arrays cached yet
    # The temporary file cannot be written (a directory stands in its place).
    mirror.with_suffix(f".{os.getpid()}.tmp").mkdir()
    store.write_mirror(mirror, new)
    assert store.read_mirror(mirror) is None


def test_documents_embedded_in_batches_keep_their_order(embeddings: KelisimEmbeddings) -> None:
    # Batches are formed by length; every vector must still land on its own text.
    texts = ["a much longer sentence about the secular state and its laws", "hijab", "Nauryz"]
    together = embeddings.embed_documents(texts)
    for text, vec in zip(texts, together, strict=True):
        assert abs(float(np.dot(vec, embeddings.embed_documents([text])[0])) - 1.0) < 1e-5


def test_queries_embedded_in_batches_keep_their_order(embeddings: KelisimEmbeddings) -> None:
    texts = ["what does the constitution say about a secular state and religion", "hijab", "жиһад"]
    together = embeddings.embed_queries(texts)
    for text, vec in zip(texts, together, strict=True):
        assert abs(float(np.dot(vec, embeddings.embed_queries([text])[0])) - 1.0) < 1e-5
