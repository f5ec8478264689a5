"""Building the search index: incremental, and atomic from a reader's point of view.

Each build writes a fresh generation (two Chroma collections) through LangChain's
Chroma store and switches the pointer only when the generation is complete, so an
invalid document, a crash or Ctrl-C leaves the previous index serving. Vectors of
unchanged text are copied from the serving generation instead of re-embedded, and
a build whose inputs hash to the serving fingerprint does nothing at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import chromadb
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from bot.errors import IndexBuildError
from bot.knowledge import store
from bot.knowledge.chunking import CHUNK_OVERLAP, CHUNK_SIZE, chunk_document, sentences_of
from bot.knowledge.documents import Document, Problem, load_corpus
from bot.knowledge.embeddings import CachedEmbeddings, KelisimEmbeddings, text_key
from bot.settings import Settings

COSINE = {"hnsw:space": "cosine"}
_ADD_BATCH = 256
_FORMAT = "kelisim-index-v1"

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
    chunks: int
    sentences: int
    embedded: int
    reused: int
    seconds: float
    problems: list[Problem] = field(default_factory=list)
    generation: store.Generation | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _doc_metadata(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.id,
        "group": doc.group,
        "lang": doc.lang,
        "title": doc.title,
        "url": doc.url,
        "topics": ",".join(doc.topics),
    }


def records_for(docs: Iterable[Document]) -> tuple[list[Record], list[Record]]:
    """The chunk and sentence rows for a set of documents."""
    chunks: list[Record] = []
    sentences: list[Record] = []
    for doc in docs:
        base = _doc_metadata(doc)
        for chunk in chunk_document(doc):
            text = chunk.indexed_text
            meta = {**base, "section": chunk.section, "position": chunk.position}
            chunks.append(Record(text_key(f"{doc.id}\n{chunk.position}\n{text}"), text, meta))
        for sent in sentences_of(doc):
            meta = {**base, "section": sent.section, "position": sent.position}
            sentences.append(
                Record(text_key(f"{doc.id}\n{sent.position}\n{sent.text}"), sent.text, meta)
            )
    return chunks, sentences


def fingerprint(chunks: list[Record], sentences: list[Record], embedder: str) -> str:
    digest = hashlib.sha256(f"{_FORMAT}|{embedder}|{CHUNK_SIZE}|{CHUNK_OVERLAP}".encode())
    for rec in (*chunks, *sentences):
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
    """Index the published, valid documents; see the module docstring for guarantees.

    ``documents`` overrides reading ``settings.corpus_dir`` (used by benchmarks).
    Invalid documents are skipped and reported in ``BuildReport.problems``.
    """
    started = time.perf_counter()
    problems: list[Problem] = []
    if documents is None:
        corpus = load_corpus(settings.corpus_dir, max_review_age_days=settings.review_max_age_days)
        problems = corpus.problems
        documents = corpus.published
    client = client or store.make_client(settings)
    chunks, sentences = records_for(documents)
    print_ = fingerprint(chunks, sentences, embeddings.name)
    current = store.read_pointer(client)
    existing = set(store.collection_names(client))
    if (
        not rebuild
        and current
        and current.fingerprint == print_
        and {current.chunks, current.sentences} <= existing
    ):
        return BuildReport(
            "unchanged",
            len(documents),
            len(chunks),
            len(sentences),
            0,
            0,
            time.perf_counter() - started,
            problems,
            current,
        )

    cache = (
        {}
        if rebuild or current is None
        else _known_vectors(client, (current.chunks, current.sentences))
    )
    cached = CachedEmbeddings(embeddings, cache)
    chunk_name, sentence_name = store.new_generation_names()
    try:
        _fill(client, chunk_name, chunks, cached, progress, "passages")
        _fill(client, sentence_name, sentences, cached, progress, "sentences")
        for name, expected in ((chunk_name, len(chunks)), (sentence_name, len(sentences))):
            if client.get_collection(name).count() != expected:
                raise IndexBuildError(f"collection {name} is incomplete")
    except BaseException as exc:
        for name in (chunk_name, sentence_name):
            with contextlib.suppress(Exception):
                client.delete_collection(name)
        if isinstance(exc, IndexBuildError | KeyboardInterrupt):
            raise
        raise IndexBuildError(f"index build failed: {exc}") from exc

    generation = store.Generation(
        chunks=chunk_name,
        sentences=sentence_name,
        fingerprint=print_,
        embedder=embeddings.name,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        documents=len(documents),
        chunk_count=len(chunks),
        sentence_count=len(sentences),
        previous_chunks=current.chunks if current else "",
        previous_sentences=current.sentences if current else "",
    )
    store.write_pointer(client, generation)
    _drop_old_generations(client, generation)
    total = len(chunks) + len(sentences)
    return BuildReport(
        "built",
        len(documents),
        len(chunks),
        len(sentences),
        cached.embedded,
        total - cached.embedded,
        time.perf_counter() - started,
        problems,
        generation,
    )


def _drop_old_generations(client: chromadb.ClientAPI, keep: store.Generation) -> None:
    """Delete generations older than the previous one (which running readers may still use)."""
    keep_names = {keep.chunks, keep.sentences, keep.previous_chunks, keep.previous_sentences}
    for name in store.collection_names(client):
        if name.startswith(store.PREFIX) and name not in keep_names:
            with contextlib.suppress(Exception):
                client.delete_collection(name)
