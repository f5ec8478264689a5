"""Building the search index: incremental, and atomic from a reader's point of view.

Each build writes a fresh generation (two Chroma collections) through LangChain's
Chroma store and switches the pointer only when the generation is complete, so an
invalid document, a crash or Ctrl-C leaves the previous index serving. Vectors of
unchanged text are taken from the vectors saved beside the corpus
(:mod:`bot.knowledge.saved_vectors`) and from the serving generation instead of
re-embedded, and a build whose inputs hash to the serving fingerprint does nothing at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from bot.errors import IndexBuildError, IndexUnavailableError, InvalidCorpusError
from bot.knowledge import saved_vectors, store
from bot.knowledge.documents import Document, Problem, load_corpus
from bot.knowledge.embeddings import AsQueries, CachedEmbeddings, KelisimEmbeddings, text_key
from bot.knowledge.screening_check import model_problems
from bot.knowledge.units import Unit
from bot.settings import Settings

log = logging.getLogger(__name__)

COSINE = {"hnsw:space": "cosine"}
_ADD_BATCH = 256
_FORMAT = "kelisim-index-v3"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Record:
    """One row to store: id, text, metadata."""

    id: str
    text: str
    metadata: dict[str, Any]


@dataclass(slots=True)
class BuildReport:
    """What a build did."""

    status: str  # "built" | "unchanged"
    documents: int
    units: int
    phrasings: int
    embedded: int
    reused: int
    seconds: float
    problems: list[Problem] = field(default_factory=list)
    generation: store.Generation | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _sources_json(doc: Document, unit: Unit) -> str:
    return json.dumps(
        [{"key": s.key, "title": s.title, "url": s.url} for s in doc.sources_of(unit)],
        ensure_ascii=False,
    )


def records_for(docs: Iterable[Document]) -> tuple[list[Record], list[Record]]:
    """The unit rows and the phrasing rows for a set of documents."""
    units: list[Record] = []
    phrasings: list[Record] = []
    for doc in docs:
        for unit in doc.units:
            base = {
                "unit_id": unit.id,
                "group": doc.group,
                "lang": doc.lang,
                "doc_id": doc.id,
            }
            meta = {
                **base,
                "anchor": unit.anchor,
                "title": doc.title,
                "question": unit.question,
                "body": unit.body,
                "position": unit.position,
                "sources": _sources_json(doc, unit),
                "examples": json.dumps(list(unit.examples), ensure_ascii=False),
                "topics": ",".join(doc.topics),
                "help": doc.help or "",
            }
            text = f"{unit.question}\n{unit.body}"
            units.append(Record(text_key(f"{unit.id}\n{doc.lang}\n{text}"), text, meta))
            for n, phrasing in enumerate(unit.phrasings):
                key = text_key(f"{unit.id}\n{doc.lang}\n{n}\n{phrasing}")
                phrasings.append(Record(key, phrasing, {**base, "n": n}))
    return units, phrasings


def fingerprint(units: list[Record], phrasings: list[Record], embedder: str) -> str:
    digest = hashlib.sha256(f"{_FORMAT}|{embedder}".encode())
    for rec in (*units, *phrasings):
        digest.update(rec.id.encode())
        digest.update(json.dumps(rec.metadata, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _known_vectors(client: chromadb.ClientAPI, names: Iterable[str]) -> dict[str, list[float]]:
    """Vectors of the serving generation, keyed by the hash of their text."""
    cache: dict[str, list[float]] = {}
    for name in names:
        try:
            got = client.get_collection(name).get(include=["documents", "embeddings"])
        except Exception:
            continue
        docs, embs = got.get("documents") or [], got.get("embeddings")
        if embs is None:
            continue
        for text, vec in zip(docs, embs, strict=False):
            if text is not None:
                cache[text_key(text)] = [float(x) for x in vec]
    return cache


def _fill(
    client: chromadb.ClientAPI,
    name: str,
    records: list[Record],
    embeddings: Embeddings,
    progress: Progress | None,
    label: str,
) -> None:
    vectorstore = Chroma(
        collection_name=name,
        embedding_function=embeddings,
        client=client,
        collection_metadata=COSINE,
    )
    for start in range(0, len(records), _ADD_BATCH):
        batch = records[start : start + _ADD_BATCH]
        vectorstore.add_texts(
            texts=[r.text for r in batch],
            metadatas=[r.metadata for r in batch],
            ids=[r.id for r in batch],
        )
        if progress:
            progress(label, min(start + _ADD_BATCH, len(records)), len(records))


def build_index(
    settings: Settings,
    embeddings: KelisimEmbeddings,
    *,
    rebuild: bool = False,
    documents: list[Document] | None = None,
    progress: Progress | None = None,
    client: chromadb.ClientAPI | None = None,
) -> BuildReport:
    """Index the published documents; see the module docstring for guarantees.

    ``documents`` overrides reading ``settings.corpus_dir`` (used by benchmarks).
    A corpus with invalid documents is not built at all (:class:`IndexBuildError`
    names them): the generation that is serving keeps serving, so a broken file
    never makes its last good version disappear. To withdraw a document on
    purpose, unpublish it.
    """
    started = time.perf_counter()
    problems: list[Problem] = []
    if documents is None:
        corpus = load_corpus(settings.corpus_dir, max_review_age_days=settings.review_max_age_days)
        if corpus.errors:
            raise InvalidCorpusError(corpus.errors)
        if rebuild or not _serving(settings, corpus.published, embeddings):
            # The screening model reads what is about to be built. A corpus the serving
            # generation already holds passed it then (and `kb validate` always runs it),
            # so `make run` does not pay for it on every start.
            corpus.problems += model_problems(corpus.published, settings)
            if corpus.errors:
                raise InvalidCorpusError(corpus.errors)
        problems = corpus.problems
        documents = corpus.published
    with _build_lock(settings):
        client = client or _client_for_build(settings, rebuild)
        saved = saved_vectors.vectors_dir(settings)
        report = _build(client, embeddings, saved, documents, problems, rebuild, progress, started)
        if report.generation is not None:
            store.write_mirror(store.mirror_path(settings), report.generation)
        return report


def save_vectors(settings: Settings, embeddings: KelisimEmbeddings) -> saved_vectors.SaveReport:
    """Save the serving index's vectors of the published corpus beside the corpus.

    Raises :class:`IndexBuildError` when the serving index does not hold exactly the
    published corpus (build it first), so what is saved always matches the text.
    """
    corpus = load_corpus(settings.corpus_dir, max_review_age_days=settings.review_max_age_days)
    if corpus.errors:
        raise InvalidCorpusError(corpus.errors)
    if not _serving(settings, corpus.published, embeddings):
        raise IndexBuildError(
            "the index does not hold the published corpus as it is now: "
            "run `kelisim kb build` first"
        )
    client = store.make_client(settings)
    current = store.read_pointer(client)
    if current is None:
        raise IndexBuildError("there is no index yet: run `kelisim kb build` first")
    units = _known_vectors(client, (current.units,))
    phrasings = _known_vectors(client, (current.phrasings,))
    return saved_vectors.save(
        saved_vectors.vectors_dir(settings), embeddings.name, corpus.published, units, phrasings
    )


def _serving(settings: Settings, documents: list[Document], embeddings: KelisimEmbeddings) -> bool:
    """Whether the serving generation (by its copied pointer) holds exactly ``documents``."""
    serving = store.read_mirror(store.mirror_path(settings))
    if serving is None:
        return False
    units, phrasings = records_for(documents)
    return serving.fingerprint == fingerprint(units, phrasings, embeddings.name)


def _client_for_build(settings: Settings, rebuild: bool) -> chromadb.ClientAPI:
    """The index client; ``--rebuild`` moves a damaged embedded index aside first."""
    try:
        return store.make_client(settings)
    except IndexUnavailableError:
        if not rebuild or settings.chroma_url:
            raise
    moved = store.set_aside(settings)
    log.warning("the index could not be read; moved it to %s and building a new one", moved)
    return store.make_client(settings)


def _build(
    client: chromadb.ClientAPI,
    embeddings: KelisimEmbeddings,
    saved: Path,
    documents: list[Document],
    problems: list[Problem],
    rebuild: bool,
    progress: Progress | None,
    started: float,
) -> BuildReport:
    units, phrasings = records_for(documents)
    print_ = fingerprint(units, phrasings, embeddings.name)
    current = store.read_pointer(client)
    existing = set(store.collection_names(client))
    if (
        not rebuild
        and current
        and current.fingerprint == print_
        and set(current.collections) <= existing
    ):
        _drop_old_generations(client, current)
        return BuildReport(
            "unchanged",
            len(documents),
            len(units),
            len(phrasings),
            0,
            0,
            time.perf_counter() - started,
            problems,
            current,
        )

    fresh = rebuild or current is None
    unit_cache, phrasing_cache = ({}, {}) if rebuild else saved_vectors.load(saved, embeddings.name)
    if not fresh:
        unit_cache.update(_known_vectors(client, (current.units,)))  # type: ignore[union-attr]
        phrasing_cache.update(_known_vectors(client, (current.phrasings,)))  # type: ignore[union-attr]
    cached_units = CachedEmbeddings(embeddings, unit_cache)
    cached_phrasings = CachedEmbeddings(AsQueries(embeddings), phrasing_cache)
    unit_name, phrasing_name = store.new_generation_names()
    try:
        _fill(client, unit_name, units, cached_units, progress, "answer units")
        _fill(client, phrasing_name, phrasings, cached_phrasings, progress, "phrasings")
        for name, expected in ((unit_name, len(units)), (phrasing_name, len(phrasings))):
            if client.get_collection(name).count() != expected:
                raise IndexBuildError(f"collection {name} is incomplete")
    except BaseException as exc:
        for name in (unit_name, phrasing_name):
            with contextlib.suppress(Exception):
                client.delete_collection(name)
        if isinstance(exc, IndexBuildError | KeyboardInterrupt):
            raise
        raise IndexBuildError(f"index build failed: {exc}") from exc

    generation = store.Generation(
        units=unit_name,
        phrasings=phrasing_name,
        fingerprint=print_,
        embedder=embeddings.name,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        documents=len(documents),
        unit_count=len(units),
        phrasing_count=len(phrasings),
        previous_units=current.units if current else "",
        previous_phrasings=current.phrasings if current else "",
    )
    store.write_pointer(client, generation)
    _drop_old_generations(client, generation)
    embedded = cached_units.embedded + cached_phrasings.embedded
    return BuildReport(
        "built",
        len(documents),
        len(units),
        len(phrasings),
        embedded,
        len(units) + len(phrasings) - embedded,
        time.perf_counter() - started,
        problems,
        generation,
    )


@contextlib.contextmanager
def _build_lock(settings: Settings) -> Iterator[None]:
    """One build at a time per data directory (two would delete each other's work)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "index.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBuildError(
                "another build is running; wait for it to finish and try again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _drop_old_generations(client: chromadb.ClientAPI, keep: store.Generation) -> None:
    """Delete every generation but this one and the previous one (running readers may
    still use it), including half-built ones left by a build that was killed."""
    keep_names = {*keep.collections, keep.previous_units, keep.previous_phrasings}
    for name in store.collection_names(client):
        if name.startswith(store.PREFIX) and name not in keep_names:
            with contextlib.suppress(Exception):
                client.delete_collection(name)
