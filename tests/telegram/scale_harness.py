"""Webhook workers behind a round-robin proxy, with this process playing Telegram.

Used by ``tests/telegram/test_scale_out.py`` and by ``bot/benchmarks_scale.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SECRET = "scale-out-secret"
QUESTIONS = [
    "What does it mean that Kazakhstan is a secular state?",
    "Что такое свобода совести?",
    "Діни экстремизм деген не?",
    "How do online recruiters work?",
    "Что значит джихад?",
    "Who is a pseudo-expert in religion?",
]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proxy:
    """Round robin over the workers; a worker that refuses is skipped; none: 502."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self._next = 0
        self._client: httpx.AsyncClient | None = None
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
            if self._client is None:  # one connection pool, made in the server's loop
                self._client = httpx.AsyncClient(
                    timeout=60, limits=httpx.Limits(max_connections=100)
                )
            try:
                answer = await self._client.post(target, content=body, headers=headers)
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
    fake: Any,
    index_dir: Path,
    cache_dir: Path | None,
    data: Path,
    pg: str | None,
    redis_url: str | None,
    max_rate: float,
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """One ``kelisim bot --webhook`` process; yields it and its webhook URL once ready."""
    data.mkdir(parents=True)
    shutil.copytree(index_dir, data / "index")
    if cache_dir is not None and cache_dir.exists():
        shutil.copytree(cache_dir, data / "cache")
    port = free_port()
    env = {
        **os.environ,
        "KELISIM_TELEGRAM_TOKEN": fake.token,
        "KELISIM_TELEGRAM_BASE_URL": fake.base_url,
        "KELISIM_DATA_DIR": str(data),
        "KELISIM_WEBHOOK_SECRET": SECRET,
        "KELISIM_USER_ID_SALT": "one-key-for-all-workers",
        "KELISIM_UPDATE_LEASE": "10",
        "KELISIM_TELEGRAM_MAX_RATE": str(max_rate),
        "KELISIM_RATE_LIMIT_BURST": "50",
        "KELISIM_RECORD_GAPS": "false",
    }
    for name, value in (("KELISIM_DATABASE_URL", pg), ("KELISIM_REDIS_URL", redis_url)):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
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


async def play_telegram(
    fake: Any, url: str, users: list[dict[str, Any]], per_user: int, first_update: int = 1_000
) -> tuple[int, dict[int, list[float]]]:
    """Post every user's messages in order, each again until its webhook call succeeds.

    Returns the number of repeated calls and, per user, when each message was first posted.
    """
    retries = 0
    update_ids = iter(range(first_update, first_update + 1_000_000))
    posted: dict[int, list[float]] = {u["id"]: [] for u in users}

    async def one_user(client: httpx.AsyncClient, n: int, user: dict[str, Any]) -> None:
        nonlocal retries
        for k in range(per_user):
            text = QUESTIONS[(n + k) % len(QUESTIONS)]
            posted[user["id"]].append(time.monotonic())
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
    return retries, posted
