"""Shared fixtures: one real index (real chromadb, real e5 model) per test session.

The index is built from the real corpus into a temporary data directory. When the
developer's own ``data/index`` is up to date it is copied first, so the build is a
no-change check instead of a full embedding run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge.embeddings import E5Embeddings, KelisimEmbeddings
from bot.knowledge.index import build_index
from bot.settings import PROJECT_ROOT, Settings
from tests.servers import postgres, postgres_bin

PROJECT_INDEX = PROJECT_ROOT / "data" / "index"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "user_id_salt_file": data_dir.parent / f"{data_dir.name}-user-id-salt",
        "chroma_url": None,
        "generator": "extractive",
        "telegram_token": None,
        "llm_base_url": None,
        "guard_base_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def embeddings() -> KelisimEmbeddings:
    return E5Embeddings()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embeddings: KelisimEmbeddings) -> Path:
    data_dir = tmp_path_factory.mktemp("data")
    if PROJECT_INDEX.exists():
        shutil.copytree(PROJECT_INDEX, data_dir / "index")
    build_index(make_settings(data_dir), embeddings)
    cache = PROJECT_ROOT / "data" / "cache"
    if cache.exists():  # model caches; the build above wrote this index's own pointer copy
        shutil.copytree(
            cache,
            data_dir / "cache",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("pointer.json"),
        )
    return data_dir


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return make_settings(index_dir)


@pytest.fixture(scope="session")
def engine(settings: Settings, embeddings: KelisimEmbeddings) -> Iterator[Engine]:
    yield Engine(settings, embeddings=embeddings)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL server for the whole run (fails with the install command)."""
    if postgres_bin() is None:
        pytest.fail(
            "PostgreSQL is not installed: run `make setup` as root or with sudo, or "
            "`sudo apt-get install postgresql`",
            pytrace=False,
        )
    with postgres() as url:
        yield url
