"""Fixtures for the Telegram bot: a fake Bot API server and the real bot against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import TOKEN, FakeBotAPI
from pydantic import SecretStr

from bot.engine import Engine
from bot.settings import Settings
from bot.telegram.app import build_application, running, services_of_app
from bot.telegram.services import Services


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bot_settings(settings: Settings, fake: FakeBotAPI, tmp_path: Path) -> Settings:
    """The session settings, with the bot's own data dir and the fake server's URL."""
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_base_url": fake.base_url,
            "data_dir": tmp_path / "data",
            "user_id_salt_file": tmp_path / "keys" / "user-id-salt",
        }
    )


async def eventually(condition: Callable[[], Any], timeout: float = 60.0) -> None:
    """Wait (without blocking the bot's event loop) until ``condition()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the bot did not do what the test waited for")
        await asyncio.sleep(0.02)


async def settle(fake: FakeBotAPI, quiet: float = 0.5) -> None:
    """Wait until the bot has made no Bot API call (but polling) for ``quiet`` seconds."""
    last = -1
    while True:
        await asyncio.sleep(quiet)
        now = sum(1 for method, _ in list(fake.calls) if method != "getUpdates")
        if now == last:
            return
        last = now


@asynccontextmanager
async def bot_for(settings: Settings, engine: Engine, **overrides: Any) -> AsyncIterator[Services]:
    """The real bot polling the fake server; yields its services."""
    if overrides:
        settings = settings.model_copy(update=overrides)
    application = build_application(settings, engine)
    async with running(application, poll_timeout=1):
        yield services_of_app(application)
