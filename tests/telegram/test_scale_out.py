"""Two webhook workers behind a proxy, on PostgreSQL and Redis, with one killed mid-run.

Telegram is played by the test: it posts each user's messages in order, one at
a time, to a small round-robin proxy, and posts an update again while its
webhook call fails (connection refused, 5xx) — as Telegram does. Replies go to
the fake Bot API. One worker is killed with SIGKILL in the middle; every message
must still be answered exactly once, in each user's order, and the bot-wide
flood limit must hold across both workers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fake_bot_api import FakeBotAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.engine import Engine
from bot.models import Question
from bot.settings import Settings
from tests.servers import free_port, postgres, postgres_bin, redis_server

SECRET = "scale-out-secret"
USERS, PER_USER = 100, 5
MAX_RATE = 20
QUESTIONS = [
    "What does it mean that Kazakhstan is a secular state?",
    "Что такое свобода совести?",
    "Діни экстремизм деген не?",
    "How do online recruiters work?",
    "Что значит джихад?",
    "Who is a pseudo-expert in religion?",
]


@pytest.fixture(scope="module")
def backends() -> Iterator[tuple[str, str]]:
    if postgres_bin() is None or shutil.which("redis-server") is None:
        pytest.skip("needs PostgreSQL and Redis: `make setup` installs them where it can (apt)")
    with postgres() as pg, redis_server() as redis_url:
        engine = sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("CREATE DATABASE kelisim"))
        engine.dispose()
        yield pg.rsplit("/", 1)[0] + "/kelisim", redis_url


class Proxy:
    """Round robin over the workers; a worker that refuses is skipped; none: 502."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self._next = 0
        self.port = free_port()
        app = Starlette(routes=[Route("/hook", self._forward, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def _forward(self, request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["content-type"] = "application/json"
        for _ in self.targets:
            target = self.targets[self._next % len(self.targets)]
            self._next += 1
            try:
                async with httpx.AsyncClient(timeout=60) as client:
                    answer = await client.post(target, content=body, headers=headers)
            except httpx.HTTPError:
                continue  # that worker is gone: the next one
            return Response(status_code=answer.status_code)
        return Response(status_code=502)

    def __enter__(self) -> Proxy:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@contextmanager
def worker(
    fake: FakeBotAPI, settings: Settings, tmp: Path, name: str, pg: str, redis_url: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    data = tmp / name
    data.mkdir()
    shutil.copytree(settings.index_dir, data / "index")
    if (settings.data_dir / "cache").exists():
        shutil.copytree(settings.data_dir / "cache", data / "cache")
    port = free_port()
    env = {
        **os.environ,
        "KELISIM_TELEGRAM_TOKEN": fake.token,
        "KELISIM_TELEGRAM_BASE_URL": fake.base_url,
        "KELISIM_DATA_DIR": str(data),
        "KELISIM_WEBHOOK_SECRET": SECRET,
        "KELISIM_USER_ID_SALT": "one-key-for-all-workers",
        "KELISIM_DATABASE_URL": pg,
        "KELISIM_REDIS_URL": redis_url,
        "KELISIM_UPDATE_LEASE": "6",
        "KELISIM_TELEGRAM_MAX_RATE": str(MAX_RATE),
        "KELISIM_RATE_LIMIT_BURST": "20",
        "KELISIM_RECORD_GAPS": "false",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "bot",
            "--webhook",
            "https://example.org/hook",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "worker exited"
        assert time.monotonic() < deadline, "a worker did not become ready"
        time.sleep(0.2)
    try:
        yield proc, base + "/hook"
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=30)


async def _play_telegram(fake: FakeBotAPI, url: str, users: list[dict]) -> int:
    """Post every user's messages in order, each again until its webhook call succeeds."""
    retries = 0
    update_ids = iter(range(1_000, 10_000))

    async def one_user(client: httpx.AsyncClient, n: int, user: dict) -> None:
        nonlocal retries
        for k in range(PER_USER):
            text = QUESTIONS[(n + k) % len(QUESTIONS)]
            update = {
                "update_id": next(update_ids),
                "message": fake._user_message(user, None, text=text),
            }
            while True:
                try:
                    answer = await client.post(
                        url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    )
                    if answer.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                retries += 1
                await asyncio.sleep(0.5)

    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(timeout=90, limits=limits) as client:
        await asyncio.gather(*(one_user(client, n, u) for n, u in enumerate(users)))
    return retries


def test_two_workers_one_killed_every_message_answered_once_in_order(
    fake: FakeBotAPI,
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    backends: tuple[str, str],
) -> None:
    pg, redis_url = backends
    first_line = {q: engine.answer(Question(q)).body.split("\n")[0] for q in QUESTIONS}
    users = [fake.user(70_000 + n, "U", "en") for n in range(USERS)]
    with (
        worker(fake, settings, tmp_path, "a", pg, redis_url) as (a, url_a),
        worker(fake, settings, tmp_path, "b", pg, redis_url) as (_, url_b),
        Proxy([url_a, url_b]) as proxy,
    ):
        checks = httpx.get(url_b.replace("/hook", "/healthz"), timeout=10).json()["checks"]
        assert checks["database"] == "ok" and checks["redis"] == "ok"

        def kill_midway() -> None:
            fake.wait_until(lambda: len(fake.sent) >= USERS * PER_USER // 3, 300)
            time.sleep(0.37)  # a crash is not timed to follow a reply
            a.send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_midway)
        killer.start()
        started = time.monotonic()
        retries = asyncio.run(_play_telegram(fake, f"http://127.0.0.1:{proxy.port}/hook", users))
        killer.join(timeout=300)
        assert a.poll() is not None  # it really died in the middle
        time.sleep(3.0)  # anything answered twice would show up now
        seconds = time.monotonic() - started
    sent = [s for s in fake.sent if s.chat_id >= 70_000]
    per_user = {u["id"]: [s for s in sent if s.chat_id == u["id"]] for u in users}
    counts = {uid: len(msgs) for uid, msgs in per_user.items()}
    assert set(counts.values()) == {PER_USER}, {k: v for k, v in counts.items() if v != PER_USER}
    for n, user in enumerate(users):
        asked = [QUESTIONS[(n + k) % len(QUESTIONS)] for k in range(PER_USER)]
        got = [m.text.split("\n")[0] for m in per_user[user["id"]]]
        assert got == [first_line[q] for q in asked], (user["id"], got)
    times = sorted(s.sent_at for s in sent)
    busiest = max(sum(1 for u in times if t <= u < t + 0.95) for t in times)
    assert busiest <= MAX_RATE, busiest
    print(
        f"{len(sent)} replies in {seconds:.1f} s, {retries} webhook calls repeated, "
        f"busiest second {busiest} messages"
    )
