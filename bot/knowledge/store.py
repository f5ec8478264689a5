"""The Chroma client and the pointer to the index generation that is serving.

An index *generation* is a pair of collections: the answer units (one row per
unit and language, what a reply quotes) and their phrasings (the question heading
and its alternative wordings, what a question is matched against). Builds write a
new generation and then flip one pointer, kept as the metadata of a small
collection: a single atomic update that works the same for the embedded
``PersistentClient`` and a ``chroma run`` server.
Readers never see a half-built generation.

For the embedded store, each build also leaves a copy of the pointer beside the
cached arrays of its generation (``cache/pointer.json``): a new process that finds
both answers without importing chromadb at all, which is most of the start-up time
of a single ``kelisim ask``. The copy is only a shortcut: without it, or without
its generation's arrays, readers ask Chroma.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bot.errors import ConfigurationError, IndexUnavailableError
from bot.settings import Settings

if TYPE_CHECKING:
    import chromadb

POINTER = "kelisim_active"
PREFIX = "kb_"


@dataclass(frozen=True, slots=True)
class Generation:
    """The collections of one complete index build."""

    units: str
    phrasings: str
    fingerprint: str
    embedder: str
    built_at: str
    documents: int = 0
    unit_count: int = 0
    phrasing_count: int = 0
    previous_units: str = ""
    previous_phrasings: str = ""

    @property
    def collections(self) -> tuple[str, str]:
        return self.units, self.phrasings

    def as_metadata(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "phrasings": self.phrasings,
            "fingerprint": self.fingerprint,
            "embedder": self.embedder,
            "built_at": self.built_at,
            "documents": self.documents,
            "unit_count": self.unit_count,
            "phrasing_count": self.phrasing_count,
            "previous_units": self.previous_units,
            "previous_phrasings": self.previous_phrasings,
        }


def make_client(settings: Settings) -> chromadb.ClientAPI:
    """An embedded client under the data directory, or an HTTP client to a server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigurationError(
                f"KELISIM_CHROMA_URL must look like http://host:8000, not {settings.chroma_url!r}"
            )
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises ValueError or connection errors
            raise ConfigurationError(
                f"Cannot reach the Chroma server at {settings.chroma_url}: is `chroma run` "
                "running there?"
            ) from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb wraps SQLite's "file is not a database"
        raise unreadable(settings, exc) from exc


def unreadable(settings: Settings, exc: BaseException) -> IndexUnavailableError:
    """The one-line error for an index that cannot be read, with what to do."""
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    if settings.chroma_url:
        return IndexUnavailableError(
            f"The Chroma server at {settings.chroma_url} cannot be read ({reason}): check "
            "that `chroma run` is up."
        )
    return IndexUnavailableError(
        f"The index in {settings.index_dir} cannot be read ({reason}): rebuild it with "
        "`kelisim kb build --rebuild`."
    )


def set_aside(settings: Settings) -> Path:
    """Move a damaged embedded index out of the way (kept for inspection)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    target = settings.index_dir.with_name(f"{settings.index_dir.name}.damaged-{stamp}")
    settings.index_dir.rename(target)
    # chromadb keeps one client system per path, including a half-opened one.
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return target


def read_pointer(client: chromadb.ClientAPI) -> Generation | None:
    """The generation that is serving now, or ``None`` before the first build."""
    from chromadb.errors import NotFoundError

    try:
        meta = client.get_collection(POINTER).metadata or {}
    except (NotFoundError, ValueError):  # never built (older clients raise ValueError)
        return None
    if not meta.get("units"):  # never built, or built by an older version
        return None
    fields = Generation.__dataclass_fields__
    return Generation(**{k: v for k, v in meta.items() if k in fields})


def write_pointer(client: chromadb.ClientAPI, generation: Generation) -> None:
    """Switch readers to ``generation`` in one metadata update."""
    pointer = client.get_or_create_collection(POINTER, metadata={"kind": "pointer"})
    pointer.modify(metadata={"kind": "pointer", **generation.as_metadata()})


def mirror_path(settings: Settings) -> Path | None:
    """Where the embedded store's pointer is copied (none for a Chroma server)."""
    return None if settings.chroma_url else settings.data_dir / "cache" / "pointer.json"


def write_mirror(path: Path | None, generation: Generation) -> None:
    """Copy the pointer beside the generation's cached arrays (atomically)."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(generation)), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        # A copy naming an older generation would hide the new one: remove it, and
        # readers ask Chroma instead.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def cached_arrays(cache_dir: Path, generation: Generation, prefix: str) -> Path:
    """Where a generation's arrays (``index``, ``lexical``, ``units``) are cached."""
    return cache_dir / f"{prefix}-{generation.units}-{generation.fingerprint[:16]}.npz"


def mirrored_and_cached(cache_dir: Path | None, mirror: Path | None) -> Generation | None:
    """The copied pointer, when its generation's arrays are all cached beside it."""
    generation = read_mirror(mirror)
    if generation is None or cache_dir is None:
        return None
    arrays = (cached_arrays(cache_dir, generation, p) for p in ("index", "lexical", "units"))
    return generation if all(a.is_file() for a in arrays) else None


def read_mirror(path: Path | None) -> Generation | None:
    """The copied pointer, or ``None`` when there is none or it cannot be read."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = Generation.__dataclass_fields__
        return Generation(**{k: v for k, v in data.items() if k in fields})
    except (OSError, ValueError, TypeError):
        return None


def new_generation_names() -> tuple[str, str]:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
    return f"{PREFIX}{stamp}_units", f"{PREFIX}{stamp}_phrasings"


def collection_names(client: chromadb.ClientAPI) -> list[str]:
    names = client.list_collections()
    return [n if isinstance(n, str) else n.name for n in names]
