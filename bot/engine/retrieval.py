"""Retrieval of answer units for a question, in any of the three languages.

A question is compared with every unit three ways: with the unit's *phrasings*
(its heading and the alternative ways people ask it, embedded as e5 queries, so
two questions are compared like with like), with the unit's *text* (heading and
answer, embedded as a passage), and lexically, by character n-grams of the
unit's words in the question's language (TF-IDF; n-grams see through Kazakh and
Russian word endings and catch names and terms the small embedding model
blurs). A unit's score mixes the three; units are ranked by it and ties are
broken by unit id, so the same question gets the same answer on every machine.

Every published unit exists in kk, ru and en (``kb validate`` enforces it), so
the best unit is always quoted in the asker's language. The whole (small) index
is held in memory and re-read when a new generation is published: a running bot
picks up a rebuilt index within seconds, with nothing re-embedded.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.engine import lexical as lexical_model
from bot.engine import unit_classifier
from bot.engine.lexical import LexicalModel
from bot.engine.unit_classifier import UnitClassifier
from bot.errors import IndexNotReadyError, IndexUnavailableError
from bot.knowledge import store
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import LANGS, Lang, Source

if TYPE_CHECKING:
    import chromadb

log = logging.getLogger(__name__)

Lexical = dict[Lang, LexicalModel]
_Model = TypeVar("_Model")

RELOAD_CHECK_SECONDS = 3.0
# How much the phrasing match counts against the answer-text match, and how much
# the lexical match adds (chosen on the answers dev split).
PHRASING_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.3
# How much the unit classifier's probability adds when units are ordered, by default
# (``KELISIM_CLASSIFIER_WEIGHT``), and how close to the most similar unit a unit must
# be for the classifier to move it up: it settles near ties, it never overrules a
# clearly closer unit. Both chosen on one phrasing per unit held out from its fit.
# A hit's ``score``, which the answer bands judge, stays the similarity.
CLASSIFIER_WEIGHT = 0.1
CLASSIFIER_MARGIN = 0.02
# Scores are rounded before ranking, so float noise never reorders units.
_DECIMALS = 5


@dataclass(frozen=True, slots=True)
class UnitText:
    """One unit in one language, as stored in the index."""

    unit_id: str
    group: str
    lang: Lang
    doc_id: str
    title: str
    question: str
    body: str
    sources: tuple[Source, ...]
    position: int
    examples: tuple[str, ...] = ()
    help: str = ""  # a kind of worry whose help lines lead any answer quoting this unit


@dataclass(frozen=True, slots=True)
class Hit:
    """A unit's match with a question: ``score`` mixes ``phrasing`` and ``text``."""

    unit_id: str
    score: float
    phrasing: float
    text: float
    lexical: float = 0.0


@dataclass(slots=True)
class _Snapshot:
    generation: store.Generation
    texts: dict[tuple[str, Lang], UnitText]
    ids: list[str]
    unit_vectors: dict[Lang, np.ndarray] = field(default_factory=dict)
    unit_rows: dict[Lang, np.ndarray] = field(default_factory=dict)
    phrasing_vectors: np.ndarray | None = None
    phrasing_rows: np.ndarray | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[tuple[str, Lang], str] = field(default_factory=dict)
    lexical: Lexical = field(default_factory=dict)
    classifier: UnitClassifier | None = None
    _row_index: dict[Lang, dict[str, int]] = field(default_factory=dict)

    def row_of(self, lang: Lang) -> dict[str, int]:
        """Unit id → its row in ``unit_vectors[lang]`` (built once per generation)."""
        index = self._row_index.get(lang)
        if index is None:
            index = {self.ids[r]: n for n, r in enumerate(self.unit_rows[lang])}
            self._row_index[lang] = index
        return index


def _lexical(snap: _Snapshot, phrasings: list[str | None], metas: list[Any]) -> Lexical:
    """Per language, a character n-gram TF-IDF matrix with one row per unit id."""
    words: dict[Lang, list[list[str]]] = {lg: [[] for _ in snap.ids] for lg in LANGS}
    index = {uid: n for n, uid in enumerate(snap.ids)}
    for (uid, lang), unit in snap.texts.items():
        words[lang][index[uid]] += [unit.question, unit.question, unit.body]
    for text, meta in zip(phrasings, metas, strict=False):
        if text and meta and str(meta["unit_id"]) in index and meta["lang"] in words:
            words[meta["lang"]][index[str(meta["unit_id"])]].append(text)
    out: Lexical = {}
    for lang, docs in words.items():
        joined = [" ".join(d) for d in docs]
        if any(joined):
            out[lang] = lexical_model.fit(joined)
    return out


def _classifier(snap: _Snapshot) -> UnitClassifier:
    """The unit classifier, fitted on every phrasing and every unit text of ``snap``."""
    vectors = list(snap.unit_vectors.values())
    rows = list(snap.unit_rows.values())
    if snap.phrasing_vectors is not None and snap.phrasing_rows is not None:
        vectors.append(snap.phrasing_vectors)
        rows.append(snap.phrasing_rows)
    if not vectors:
        return unit_classifier.fit(np.zeros((0, 0)), np.zeros(0, dtype=np.int64))
    return unit_classifier.fit(np.vstack(vectors), np.concatenate(rows))


def _sources(raw: str, lang: Lang) -> tuple[Source, ...]:
    try:
        items = json.loads(raw or "[]")
    except json.JSONDecodeError:
        return ()
    return tuple(
        Source(str(i.get("key") or ""), str(i.get("title") or ""), str(i.get("url") or ""), lang)
        for i in items
        if isinstance(i, dict)
    )


@dataclass(frozen=True, slots=True)
class IndexHealth:
    """Whether the index store can be read now, and which generation is answering."""

    readable: bool
    serving: store.Generation | None
    error: str | None


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return (text or type(exc).__name__)[:200]


class Retriever:
    """Searches the index; safe to share between threads."""

    def __init__(
        self,
        client: chromadb.ClientAPI | Callable[[], chromadb.ClientAPI],
        embeddings: KelisimEmbeddings,
        cache_dir: Path | None = None,
        mirror: Path | None = None,
        *,
        classifier_weight: float = CLASSIFIER_WEIGHT,
    ) -> None:
        # A callable is called on first use: a process that finds the pointer's copy
        # (``mirror``) and the cached arrays never needs Chroma (see bot.knowledge.store).
        self._client_or_factory = client
        self._embeddings = embeddings
        self._cache_dir = cache_dir
        self._mirror = mirror
        self._classifier_weight = classifier_weight
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._checked = 0.0

    @property
    def _client(self) -> chromadb.ClientAPI:
        if callable(self._client_or_factory):
            self._client_or_factory = self._client_or_factory()
        return self._client_or_factory

    def _pointer(self) -> store.Generation | None:
        """The serving generation: from the pointer's copy when its arrays are cached."""
        mirrored = store.mirrored_and_cached(self._cache_dir, self._mirror)
        return mirrored if mirrored is not None else store.read_pointer(self._client)

    # -- loading -------------------------------------------------------------
    def _collection(self, name: str) -> chromadb.Collection:
        # Read with chromadb itself: the build writes through langchain's Chroma store,
        # but importing langchain here would double the start-up time of `kelisim ask`.
        return self._client.get_collection(name)

    def _fetch(self, generation: store.Generation) -> tuple[dict[str, Any], dict[str, Any]]:
        """The units and phrasings of ``generation``: from the cache, else from Chroma.

        A generation never changes once published, so what a new process needs
        from it is kept as arrays beside the lexical model and loaded with numpy
        (reading every vector back from Chroma takes most of a second).
        """
        path = None
        if self._cache_dir is not None:
            path = store.cached_arrays(self._cache_dir, generation, "index")
            try:
                with np.load(path, allow_pickle=False) as stored:
                    # ``.item()``: ``str()`` of a long 0-d string array goes through
                    # numpy's array printing (tens of milliseconds). Vectors are kept
                    # at half precision, which every index vector is exact in.
                    units = {
                        "metadatas": json.loads(stored["units_meta"].item()),
                        "embeddings": stored["units_vecs"].astype(np.float32),
                    }
                    phrasings = {
                        "metadatas": json.loads(stored["phr_meta"].item()),
                        "documents": json.loads(stored["phr_docs"].item()),
                        "embeddings": stored["phr_vecs"].astype(np.float32),
                    }
                return units, phrasings
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass  # missing or damaged: read from Chroma below
        units = dict(self._collection(generation.units).get(include=["metadatas", "embeddings"]))
        phrasings = dict(
            self._collection(generation.phrasings).get(
                include=["documents", "metadatas", "embeddings"]
            )
        )
        if path is not None:
            self._keep(path, "index-", units, phrasings)
        return units, phrasings

    def _keep(
        self, path: Path, prefix: str, units: dict[str, Any], phrasings: dict[str, Any]
    ) -> None:
        def vectors(got: dict[str, Any]) -> np.ndarray:
            embs = got.get("embeddings")
            return np.asarray(embs if embs is not None else [], dtype=np.float16)

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob(f"{prefix}*"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                np.savez(
                    handle,
                    units_meta=np.array(json.dumps(units.get("metadatas") or [])),
                    units_vecs=vectors(units),
                    phr_meta=np.array(json.dumps(phrasings.get("metadatas") or [])),
                    phr_docs=np.array(json.dumps(phrasings.get("documents") or [])),
                    phr_vecs=vectors(phrasings),
                )
            tmp.replace(path)
        except OSError as exc:
            log.info("index generation not cached (%s)", exc)

    def _load(self, generation: store.Generation) -> _Snapshot:
        got, phr = self._fetch(generation)
        texts: dict[tuple[str, Lang], UnitText] = {}
        vectors: dict[Lang, list[tuple[str, np.ndarray]]] = defaultdict(list)
        embs = got.get("embeddings")
        metas: list[Any] = got.get("metadatas") or []
        for meta, vec in zip(metas, embs if embs is not None else [], strict=False):
            lang: Lang = meta["lang"]
            unit = UnitText(
                unit_id=str(meta["unit_id"]),
                group=str(meta["group"]),
                lang=lang,
                doc_id=str(meta["doc_id"]),
                title=str(meta["title"]),
                question=str(meta["question"]),
                body=str(meta["body"]),
                sources=_sources(str(meta.get("sources") or ""), lang),
                position=int(meta["position"]),
                examples=tuple(json.loads(str(meta.get("examples") or "[]"))),
                help=str(meta.get("help") or ""),
            )
            texts[(unit.unit_id, lang)] = unit
            vectors[lang].append((unit.unit_id, np.asarray(vec, dtype=np.float32)))
        ids = sorted({uid for uid, _ in texts})
        index = {uid: n for n, uid in enumerate(ids)}
        snap = _Snapshot(generation, texts, ids)
        for lang, rows in vectors.items():
            rows.sort(key=lambda r: r[0])
            snap.unit_vectors[lang] = np.vstack([v for _, v in rows])
            snap.unit_rows[lang] = np.array([index[uid] for uid, _ in rows])
        p_embs = phr.get("embeddings")
        if p_embs is not None and len(p_embs):
            keep = [n for n, m in enumerate(phr["metadatas"]) if str(m["unit_id"]) in index]
            snap.phrasing_vectors = np.asarray(p_embs, dtype=np.float32)[keep]
            snap.phrasing_rows = np.array(
                [index[str(phr["metadatas"][n]["unit_id"])] for n in keep]
            )
        snap.lexical = self._cached(
            generation,
            "lexical",
            lambda: _lexical(snap, phr["documents"] or [], phr["metadatas"] or []),
            lexical_model.load,
            lexical_model.save,
        )
        snap.classifier = self._cached(
            generation,
            "units",
            lambda: _classifier(snap),
            unit_classifier.load,
            unit_classifier.save,
        )
        by_group: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for (uid, lang), unit in texts.items():
            if lang == "en" or (uid, "en") not in texts:
                by_group[unit.group].append((unit.position, uid))
            snap.titles[(unit.group, lang)] = unit.title
        snap.groups = {g: [uid for _, uid in sorted(set(items))] for g, items in by_group.items()}
        return snap

    def _cached(
        self,
        generation: store.Generation,
        prefix: str,
        fit: Callable[[], _Model],
        load: Callable[[Path], _Model],
        save: Callable[[_Model, Path], None],
    ) -> _Model:
        """A model of ``generation`` (``lexical``, ``units``): fitted once, then read back.

        It depends only on the generation's text, so a new process (``kelisim ask``,
        a restarted worker) loads it instead of fitting it again.
        """
        if self._cache_dir is None:
            return fit()
        path = store.cached_arrays(self._cache_dir, generation, prefix)
        try:
            return load(path)
        except (OSError, ValueError):
            pass  # missing or damaged: fitted again below
        model = fit()
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            for old in self._cache_dir.glob(f"{prefix}-*"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            save(model, tmp)
            tmp.replace(path)
        except OSError as exc:
            log.info("%s model not cached (%s)", prefix, exc)
        return model

    def _current(self) -> _Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked < RELOAD_CHECK_SECONDS:
            return snap
        with self._lock:
            if self._snapshot is not None and now - self._checked < RELOAD_CHECK_SECONDS:
                return self._snapshot
            self._checked = now
            try:
                generation = self._pointer()
                if generation is not None and (
                    self._snapshot is None or self._snapshot.generation != generation
                ):
                    self._snapshot = self._load(generation)
            except Exception as exc:
                # A damaged file or a server that went away: keep answering from the
                # generation in memory, and say so.
                if self._snapshot is None:
                    raise IndexUnavailableError(
                        f"The index cannot be read ({_reason(exc)}): rebuild it with "
                        "`kelisim kb build --rebuild`, or check the Chroma server."
                    ) from exc
                log.warning("index unreadable (%s); serving the generation in memory", _reason(exc))
                return self._snapshot
            if generation is None:
                if self._snapshot is not None:
                    return self._snapshot
                raise IndexNotReadyError(
                    "The index has not been built yet: run `kelisim kb build` (make setup does it)."
                )
            assert self._snapshot is not None
            return self._snapshot

    def health(self) -> IndexHealth:
        """The index's real state now (not the cached one): for health endpoints."""
        serving = self._snapshot.generation if self._snapshot is not None else None
        try:
            current = store.read_pointer(self._client)
            if current is not None:
                self._client.get_collection(current.units).count()
        except Exception as exc:
            return IndexHealth(False, serving, _reason(exc))
        if current is None:
            return IndexHealth(False, serving, "no index has been built")
        return IndexHealth(True, serving or current, None)

    def refresh(self) -> store.Generation:
        """Re-read the pointer now and return the generation being served."""
        self._checked = 0.0
        return self._current().generation

    # -- queries -------------------------------------------------------------
    @property
    def generation(self) -> store.Generation:
        return self._current().generation

    def search(
        self,
        query_vector: np.ndarray,
        lang: Lang,
        k: int = 8,
        query_text: str = "",
        groups: frozenset[str] | None = None,
    ) -> list[Hit]:
        """The ``k`` best units for a question, best first (see the module docstring).

        ``query_text`` is the question as searched (Cyrillic for Latin-script input);
        without it only the embeddings are compared. ``groups`` limits the search to
        those topics.
        """
        snap = self._current()
        n = len(snap.ids)
        if n == 0:
            return []
        phrasing = np.full(n, -1.0, dtype=np.float32)
        if snap.phrasing_vectors is not None and snap.phrasing_rows is not None:
            np.maximum.at(phrasing, snap.phrasing_rows, snap.phrasing_vectors @ query_vector)
        text = np.full(n, -1.0, dtype=np.float32)
        for lg in (lang, *[x for x in LANGS if x != lang]):
            if lg in snap.unit_vectors:
                sims = snap.unit_vectors[lg] @ query_vector
                missing = text[snap.unit_rows[lg]] < -0.5
                rows = snap.unit_rows[lg][missing]
                text[rows] = sims[missing]
        lexical = np.zeros(n, dtype=np.float32)
        if query_text and lang in snap.lexical:
            lexical = snap.lexical[lang].scores(query_text)
        score = PHRASING_WEIGHT * phrasing + (1 - PHRASING_WEIGHT) * text + LEXICAL_WEIGHT * lexical
        if groups is not None:
            outside = np.array([uid.split("/", 1)[0] not in groups for uid in snap.ids])
            score = np.where(outside, -np.inf, score)
        rounded = np.round(score.astype(np.float64), _DECIMALS)
        ranking = rounded
        if snap.classifier is not None and self._classifier_weight > 0:
            probability = snap.classifier.probabilities(query_vector, n)
            near = rounded >= rounded.max() - CLASSIFIER_MARGIN
            ranking = np.round(rounded + self._classifier_weight * probability * near, _DECIMALS)
        order = sorted(
            (i for i in range(n) if np.isfinite(ranking[i])),
            key=lambda i: (-ranking[i], snap.ids[i]),
        )[:k]
        return [
            Hit(
                snap.ids[i],
                float(rounded[i]),
                float(phrasing[i]),
                float(text[i]),
                float(lexical[i]),
            )
            for i in order
        ]

    def unit(self, unit_id: str, lang: Lang) -> UnitText | None:
        """``unit_id`` in ``lang`` (every published unit exists in all three)."""
        snap = self._current()
        return snap.texts.get((unit_id, lang)) or next(
            (snap.texts[(unit_id, lg)] for lg in LANGS if (unit_id, lg) in snap.texts), None
        )

    def closest(self, vector: np.ndarray, unit_ids: list[str], lang: Lang) -> list[str]:
        """``unit_ids`` ordered by how close their answer text is to ``vector`` (ties: as given)."""
        snap = self._current()
        if lang not in snap.unit_vectors:
            return list(unit_ids)
        rows = snap.row_of(lang)
        sims = {
            u: float(snap.unit_vectors[lang][rows[u]] @ vector) if u in rows else -1.0
            for u in unit_ids
        }
        return sorted(unit_ids, key=lambda u: (-round(sims[u], 4), unit_ids.index(u)))

    def likeness(self, first: str, second: str) -> float:
        """How alike two units' answers are: their texts' cosine, averaged over the languages.

        Averaged so that a reply quotes the same units in kk, ru and en (the three
        versions of a unit say the same thing but embed a little differently).
        """
        snap = self._current()
        sims = []
        for lang in LANGS:
            if lang not in snap.unit_vectors:
                continue
            rows = snap.row_of(lang)
            if first in rows and second in rows:
                vectors = snap.unit_vectors[lang]
                sims.append(float(vectors[rows[first]] @ vectors[rows[second]]))
        return round(sum(sims) / len(sims), 4) if sims else 0.0

    def related(self, unit_id: str, lang: Lang, exclude: set[str], k: int = 3) -> list[UnitText]:
        """Units to offer as next questions: the closest ones, same topic first."""
        snap = self._current()
        me = self.unit(unit_id, lang)
        if me is None or lang not in snap.unit_vectors:
            return []
        vectors, rows = snap.unit_vectors[lang], snap.unit_rows[lang]
        mine = vectors[snap.row_of(lang)[unit_id]]
        sims = vectors @ mine
        ranked = sorted(
            (
                (
                    -(float(sims[n]) + (0.1 if snap.ids[r].split("/")[0] == me.group else 0.0)),
                    snap.ids[r],
                )
                for n, r in enumerate(rows)
            ),
        )
        out = []
        for _, uid in ranked:
            if uid != unit_id and uid not in exclude:
                found = self.unit(uid, lang)
                if found is not None:
                    out.append(found)
            if len(out) >= k:
                break
        return out

    def next_in_group(self, unit_id: str, lang: Lang, exclude: set[str]) -> UnitText | None:
        """The next unit of the same topic not shown yet ("tell me more")."""
        group = unit_id.split("/", 1)[0]
        ids = self._current().groups.get(group, [])
        if unit_id in ids:
            ids = ids[ids.index(unit_id) + 1 :] + ids[: ids.index(unit_id)]
        for uid in ids:
            if uid != unit_id and uid not in exclude:
                return self.unit(uid, lang)
        return None

    def help_groups(self, kind: str) -> frozenset[str]:
        """The topics whose documents ask for the help lines of ``kind`` (``help:``)."""
        return frozenset(u.group for u in self._current().texts.values() if u.help == kind)

    def topics(self, lang: Lang) -> list[str]:
        """The title of every topic in ``lang``: what the bot can talk about."""
        snap = self._current()
        return sorted(title for (_, lg), title in snap.titles.items() if lg == lang)

    def title(self, group: str, lang: Lang) -> str | None:
        """The title of a topic in ``lang``, if it is served."""
        return self._current().titles.get((group, lang))

    def unit_ids(self) -> list[str]:
        return list(self._current().ids)
