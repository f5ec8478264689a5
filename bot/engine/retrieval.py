"""Dense retrieval over the serving index generation, across all three languages.

The passages collection is searched through LangChain's Chroma store. The
sentence vectors of the whole (small) corpus are held in memory, so that the
composer can rank and de-duplicate sentences without another round trip. The
retriever re-reads the index pointer every few seconds, so a running bot picks
up a rebuilt index without a restart.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import chromadb
import numpy as np
from langchain_chroma import Chroma

from bot.engine.overlap import content_stems
from bot.errors import IndexNotReadyError
from bot.knowledge import store
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import Lang, Passage

RELOAD_CHECK_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What the engine needs to cite a document."""

    id: str
    group: str
    lang: Lang
    title: str
    url: str
    topics: tuple[str, ...]


@dataclass(slots=True)
class DocSentences:
    """A document's sentences in order, with their unit vectors."""

    texts: list[str]
    positions: list[int]
    sections: list[str]
    vectors: np.ndarray


@dataclass(slots=True)
class _Snapshot:
    generation: store.Generation
    passages: Chroma
    docs: dict[str, DocInfo]
    groups: dict[str, dict[Lang, str]]
    sentences: dict[str, DocSentences] = field(default_factory=dict)
    # Passage vectors with their language's mean removed (see ``_centre``).
    centred: np.ndarray | None = None
    raw: np.ndarray | None = None
    sentence_centred: np.ndarray | None = None
    sentence_groups: np.ndarray | None = None
    stems: dict[str, set[str]] = field(default_factory=dict)
    rows: list[tuple[str, str, dict]] = field(default_factory=list)
    query_means: dict[str, np.ndarray] = field(default_factory=dict)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


class Retriever:
    """Searches the index; safe to share between threads."""

    def __init__(self, client: chromadb.ClientAPI, embeddings: KelisimEmbeddings) -> None:
        self._client = client
        self._embeddings = embeddings
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._checked = 0.0

    # -- loading -------------------------------------------------------------
    def _load(self, generation: store.Generation) -> _Snapshot:
        passages = Chroma(
            collection_name=generation.chunks,
            embedding_function=self._embeddings,
            client=self._client,
            create_collection_if_not_exists=False,
        )
        sentence_store = Chroma(
            collection_name=generation.sentences,
            embedding_function=self._embeddings,
            client=self._client,
            create_collection_if_not_exists=False,
        )
        got = sentence_store.get(include=["documents", "metadatas", "embeddings"])
        docs: dict[str, DocInfo] = {}
        groups: dict[str, dict[Lang, str]] = defaultdict(dict)
        rows: dict[str, list[tuple[int, str, str, np.ndarray]]] = defaultdict(list)
        embs = got.get("embeddings")
        for text, meta, vec in zip(
            got["documents"], got["metadatas"], embs if embs is not None else [], strict=False
        ):
            doc_id = str(meta["doc_id"])
            if doc_id not in docs:
                info = DocInfo(
                    doc_id,
                    str(meta["group"]),
                    meta["lang"],
                    str(meta["title"]),
                    str(meta.get("url") or ""),
                    tuple(str(meta.get("topics") or "").split(",")),
                )
                docs[doc_id] = info
                groups[info.group][info.lang] = doc_id
            rows[doc_id].append(
                (
                    int(meta["position"]),
                    text,
                    str(meta.get("section") or ""),
                    np.asarray(vec, dtype=np.float32),
                )
            )
        sentences = {}
        for doc_id, items in rows.items():
            items.sort(key=lambda r: r[0])
            sentences[doc_id] = DocSentences(
                texts=[r[1] for r in items],
                positions=[r[0] for r in items],
                sections=[r[2] for r in items],
                vectors=np.vstack([r[3] for r in items]),
            )
        snap = _Snapshot(generation, passages, docs, dict(groups), sentences)
        snap.stems = {
            doc_id: content_stems(" ".join([docs[doc_id].title, *sents.texts]))
            for doc_id, sents in sentences.items()
        }
        self._centre(snap)
        return snap

    def _centre(self, snap: _Snapshot) -> None:
        """Remove each language's mean vector from passages and queries.

        Multilingual e5 puts a strong "which language" direction into every vector,
        so a Kazakh question prefers any Kazakh passage over the right Russian one.
        Subtracting the per-language mean (passages: over the corpus; queries: over
        the corpus titles embedded as queries) removes most of that bias.
        """
        got = snap.passages.get(include=["documents", "metadatas", "embeddings"])
        embs = got.get("embeddings")
        if embs is None or len(embs) == 0:
            return
        vectors = np.asarray(embs, dtype=np.float32)
        metas = got["metadatas"]
        langs = np.array([m["lang"] for m in metas])
        centred = vectors.copy()
        for lang in set(langs.tolist()):
            centred[langs == lang] -= vectors[langs == lang].mean(axis=0)
            titles = sorted({d.title for d in snap.docs.values() if d.lang == lang})
            snap.query_means[lang] = np.mean(
                [self._embeddings.query_vector(t) for t in titles], axis=0
            )
        snap.centred = _unit(centred)
        snap.raw = _unit(vectors)
        blocks, groups, langs_s = [], [], []
        for doc_id, sents in snap.sentences.items():
            info = snap.docs[doc_id]
            blocks.append(sents.vectors)
            groups += [info.group] * len(sents.texts)
            langs_s += [info.lang] * len(sents.texts)
        if blocks:
            matrix = np.vstack(blocks)
            lang_arr = np.array(langs_s)
            for lang in set(langs_s):
                matrix[lang_arr == lang] -= matrix[lang_arr == lang].mean(axis=0)
            snap.sentence_centred = _unit(matrix)
            snap.sentence_groups = np.array(groups)
        snap.rows = [
            (str(i), str(doc), dict(m))
            for i, doc, m in zip(got["ids"], got["documents"], metas, strict=True)
        ]

    def _current(self) -> _Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked < RELOAD_CHECK_SECONDS:
            return snap
        with self._lock:
            if self._snapshot is not None and now - self._checked < RELOAD_CHECK_SECONDS:
                return self._snapshot
            self._checked = now
            generation = store.read_pointer(self._client)
            if generation is None:
                if self._snapshot is not None:
                    return self._snapshot
                raise IndexNotReadyError(
                    "The index has not been built yet: run `kelisim kb build` (make setup does it)."
                )
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = self._load(generation)
            return self._snapshot

    def refresh(self) -> store.Generation:
        """Re-read the pointer now and return the generation being served."""
        self._checked = 0.0
        return self._current().generation

    # -- queries -------------------------------------------------------------
    @property
    def generation(self) -> store.Generation:
        return self._current().generation

    def search(self, query_vector: np.ndarray, k: int, lang: Lang | None = None) -> list[Passage]:
        """The ``k`` passages most similar to the query, best first, in any language.

        With the question's ``lang``, scores are language-centred (see ``_centre``);
        without it, plain cosine similarity from the Chroma collection.
        """
        snap = self._current()
        if (
            lang is not None
            and snap.centred is not None
            and snap.raw is not None
            and lang in snap.query_means
        ):
            return self._centred_search(snap, query_vector, k, lang)
        hits = snap.passages.similarity_search_by_vector_with_relevance_scores(
            query_vector.tolist(), k=k
        )
        out = []
        for doc, distance in hits:
            meta = doc.metadata
            out.append(
                Passage(
                    id=str(doc.id or ""),
                    doc_id=str(meta["doc_id"]),
                    group=str(meta["group"]),
                    lang=meta["lang"],
                    title=str(meta["title"]),
                    url=str(meta.get("url") or ""),
                    text=doc.page_content,
                    score=1.0 - float(distance),
                    section=str(meta.get("section") or ""),
                )
            )
        return out

    @staticmethod
    def _centred_search(
        snap: _Snapshot, query_vector: np.ndarray, k: int, lang: Lang
    ) -> list[Passage]:
        """Rank groups by their best passage plus their best sentence, both centred.

        Passages and sentences catch different questions (a broad question matches
        a section, a pointed one a sentence); adding the two ranks groups better
        than either alone on the labelled retrieval set.
        """
        assert snap.centred is not None and snap.raw is not None
        query = _unit(query_vector - snap.query_means[lang])
        chunk_sims = snap.centred @ query
        group_of = [str(meta["group"]) for _, _, meta in snap.rows]
        best_chunk: dict[str, float] = {}
        for group, sim in zip(group_of, chunk_sims.tolist(), strict=True):
            best_chunk[group] = max(sim, best_chunk.get(group, -1.0))
        best_sentence: dict[str, float] = {}
        if snap.sentence_centred is not None and snap.sentence_groups is not None:
            for group, sim in zip(
                snap.sentence_groups.tolist(), (snap.sentence_centred @ query).tolist(), strict=True
            ):
                best_sentence[group] = max(sim, best_sentence.get(group, -1.0))
        rank = {g: best_chunk[g] + best_sentence.get(g, 0.0) for g in best_chunk}
        raw = snap.raw @ query_vector
        by_rank = sorted(
            range(len(snap.rows)), key=lambda i: (-rank[group_of[i]], -float(chunk_sims[i]))
        )
        # Each group's best passage first, so the top k spans k groups.
        seen: set[str] = set()
        leaders: list[int] = []
        for i in by_rank:
            if group_of[i] not in seen:
                seen.add(group_of[i])
                leaders.append(i)
        lead = set(leaders)
        order = (leaders + [i for i in by_rank if i not in lead])[:k]
        out = []
        for i in order:
            pid, text, meta = snap.rows[i]
            out.append(
                Passage(
                    pid,
                    str(meta["doc_id"]),
                    group_of[i],
                    meta["lang"],
                    str(meta["title"]),
                    str(meta.get("url") or ""),
                    text,
                    float(raw[i]),
                    str(meta.get("section") or ""),
                    rank[group_of[i]],
                )
            )
        return out

    def doc(self, doc_id: str) -> DocInfo:
        return self._current().docs[doc_id]

    def version(self, group: str, lang: Lang) -> str | None:
        """The id of ``group``'s document in ``lang``, if the group has one."""
        return self._current().groups.get(group, {}).get(lang)

    def stems(self, doc_id: str) -> set[str]:
        """The content-word stems of a document (see :mod:`bot.engine.overlap`)."""
        return self._current().stems.get(doc_id, set())

    def sentences(self, doc_id: str) -> DocSentences | None:
        return self._current().sentences.get(doc_id)

    def topics(self, lang: Lang) -> list[DocInfo]:
        """One document per group, preferring ``lang``: what the bot can talk about."""
        snap = self._current()
        out = []
        for versions in snap.groups.values():
            doc_id = versions.get(lang) or next(iter(versions.values()))
            out.append(snap.docs[doc_id])
        return sorted(out, key=lambda d: d.title)
