"""The corpus's vectors, saved beside it so that a fresh clone need not embed again.

Embedding the published corpus (about 21,000 answer units and phrasings) takes the
bundled model a quarter of an hour on two cores, and its result depends only on the
text and the model. ``kelisim kb vectors`` saves the serving index's vectors in
``knowledge_base/vectors/`` (one small file per document, so that editing one
document changes one file), and ``kelisim kb build`` takes every vector it finds
there for the same text and model instead of computing it again; what is new or
changed is embedded as usual.

Vectors are kept at half precision. Every vector an index holds is rounded the same
way (:class:`~bot.knowledge.embeddings.CachedEmbeddings`), so an index built from
saved vectors and one that embedded everything itself hold the very same numbers:
retrieval does not depend on which machine computed them.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.documents import Document
from bot.knowledge.embeddings import text_key
from bot.settings import Settings

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
_FORMAT = "kelisim-vectors-v1"

Vectors = dict[str, list[float]]


@dataclass(frozen=True, slots=True)
class SaveReport:
    """What :func:`save` changed on disk."""

    written: int
    unchanged: int
    removed: int


def vectors_dir(settings: Settings) -> Path:
    """The saved vectors of ``settings.corpus_dir`` live beside it, in ``vectors/``."""
    return settings.corpus_dir.parent / "vectors"


def texts_of(doc: Document) -> tuple[list[str], list[str]]:
    """The texts a document adds to the index: its answer units, then its phrasings."""
    units = [f"{unit.question}\n{unit.body}" for unit in doc.units]
    phrasings = [p for unit in doc.units for p in unit.phrasings]
    return units, phrasings


def load(directory: Path, embedder: str) -> tuple[Vectors, Vectors]:
    """Saved unit and phrasing vectors by text hash; empty when saved for another model."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    if manifest.get("format") != _FORMAT or manifest.get("embedder") != embedder:
        log.info("saved vectors in %s are for another model; not using them", directory)
        return {}, {}
    units: Vectors = {}
    phrasings: Vectors = {}
    for path in sorted(directory.glob("*/*.npz")):
        try:
            with np.load(path) as data:
                for kind, into in (("unit", units), ("phrasing", phrasings)):
                    keys = data[f"{kind}_keys"]
                    rows = data[f"{kind}_vectors"].astype(np.float32)
                    into.update(zip((str(k) for k in keys), rows.tolist(), strict=True))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            # A damaged file costs time (its texts are embedded again), never correctness.
            log.warning("ignoring saved vectors %s: %s", path, exc)
    return units, phrasings


def save(
    directory: Path,
    embedder: str,
    documents: list[Document],
    units: Vectors,
    phrasings: Vectors,
) -> SaveReport:
    """Write one file per document; files whose vectors did not change are left alone.

    Raises ``KeyError`` naming a text that has no vector (build the index first).
    """
    written = unchanged = 0
    keep: set[Path] = set()
    for doc in documents:
        unit_texts, phrasing_texts = texts_of(doc)
        arrays = {
            "unit_keys": np.array([text_key(t) for t in unit_texts], dtype="U32"),
            "phrasing_keys": np.array([text_key(t) for t in phrasing_texts], dtype="U32"),
        }
        for kind, source in (("unit", units), ("phrasing", phrasings)):
            rows = [source[str(k)] for k in arrays[f"{kind}_keys"]]
            arrays[f"{kind}_vectors"] = np.asarray(rows, dtype=np.float32).astype(np.float16)
        path = directory / doc.group / f"{doc.lang}.npz"
        keep.add(path)
        if _same(path, arrays):
            unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and moved into place: a killed save never leaves half a file
        # under a name that is read.
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        partial.replace(path)
        written += 1
    removed = 0
    for stale in directory.glob("*/*"):
        if stale.suffix in (".npz", ".partial") and stale not in keep:
            stale.unlink()
            removed += 1
    for folder in directory.glob("*/"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    manifest = {"format": _FORMAT, "embedder": embedder, "dtype": "float16"}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return SaveReport(written, unchanged, removed)


def _same(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    try:
        with np.load(path) as old:
            return set(old.files) == set(arrays) and all(
                np.array_equal(old[name], value) for name, value in arrays.items()
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return False
