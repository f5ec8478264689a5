"""Two webhook workers behind a proxy, on PostgreSQL and Redis, with one killed mid-run.

Telegram is played by the test: it posts each user's messages in order, one at
a time, to a small round-robin proxy, and posts an update again while its
webhook call fails (connection refused, 5xx) — as Telegram does. Replies go to
the fake Bot API. One worker is killed with SIGKILL in the middle; every message
must still be answered, in each user's order, and once: the only repeat allowed is
a reply that was already out when the worker died, before it could record it
(Telegram has no idempotent send, so no bot can rule that instant out). The
bot-wide flood limit must hold across both workers.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fake_bot_api import FakeBotAPI

from bot.engine import Engine
from bot.models import Question
from bot.settings import Settings
from bot.telegram.app import CONCURRENT_UPDATES
from tests.servers import fresh_database, postgres, postgres_bin, redis_server
from tests.telegram.scale_harness import QUESTIONS, Proxy, play_telegram, worker

USERS, PER_USER = 100, 5
MAX_RATE = 20
# A reply sent this close to the kill may not have been recorded as answered yet.
IN_FLIGHT = 0.5


@pytest.fixture(scope="module")
def backends() -> Iterator[tuple[str, str]]:
    if postgres_bin() is None or shutil.which("redis-server") is None:
        pytest.fail(
            "needs PostgreSQL and Redis: run `make setup` as root or with sudo, or "
            "`sudo apt-get install postgresql redis-server`",
            pytrace=False,
        )
    with postgres() as pg, redis_server() as redis_url:
        yield fresh_database(pg), redis_url


@contextmanager
def _worker(
    fake: FakeBotAPI, settings: Settings, tmp: Path, name: str, pg: str, redis_url: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    cache = settings.data_dir / "cache"
    with worker(fake, settings.index_dir, cache, tmp / name, pg, redis_url, MAX_RATE) as w:
        yield w


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
        _worker(fake, settings, tmp_path, "a", pg, redis_url) as (a, url_a),
        _worker(fake, settings, tmp_path, "b", pg, redis_url) as (_, url_b),
        Proxy([url_a, url_b]) as proxy,
    ):
        checks = httpx.get(url_b.replace("/hook", "/healthz"), timeout=10).json()["checks"]
        assert checks["database"] == "ok" and checks["redis"] == "ok"

        killed_at: list[float] = []

        def kill_midway() -> None:
            fake.wait_until(lambda: len(fake.sent) >= USERS * PER_USER // 3, 300)
            time.sleep(0.37)  # a crash is not timed to follow a reply
            a.send_signal(signal.SIGKILL)
            killed_at.append(time.monotonic())

        killer = threading.Thread(target=kill_midway)
        killer.start()
        started = time.monotonic()
        url = f"http://127.0.0.1:{proxy.port}/hook"
        retries, _ = asyncio.run(play_telegram(fake, url, users, PER_USER))
        killer.join(timeout=300)
        assert a.poll() is not None  # it really died in the middle
        time.sleep(3.0)  # anything answered twice would show up now
        seconds = time.monotonic() - started
    sent = [s for s in fake.sent if s.chat_id >= 70_000]
    per_user = {u["id"]: [s for s in sent if s.chat_id == u["id"]] for u in users}
    repeats = []
    for uid, msgs in per_user.items():
        for before, after in itertools.pairwise(msgs):
            if before.text == after.text:
                repeats.append((uid, killed_at[0] - before.sent_at, after.sent_at - killed_at[0]))
    # A repeat is a reply in flight at the kill (the fake API may record it a few
    # milliseconds after the signal), sent again by the other worker afterwards.
    assert all(abs(ago) <= IN_FLIGHT and later > 0 for _, ago, later in repeats), repeats
    # At most one reply per update the killed worker was handling at that instant.
    assert len(repeats) <= CONCURRENT_UPDATES, repeats
    for n, user in enumerate(users):
        asked = [QUESTIONS[(n + k) % len(QUESTIONS)] for k in range(PER_USER)]
        got = [m.text.split("\n")[0] for m in per_user[user["id"]]]
        once = [line for k, line in enumerate(got) if k == 0 or line != got[k - 1]]
        assert once == [first_line[q] for q in asked], (user["id"], got)
    times = sorted(s.sent_at for s in sent)
    busiest = max(sum(1 for u in times if t <= u < t + 0.95) for t in times)
    assert busiest <= MAX_RATE, busiest
    print(
        f"{len(sent)} replies in {seconds:.1f} s, {retries} webhook calls repeated, "
        f"{len(repeats)} reply in flight at the kill sent again, busiest second {busiest} messages"
    )
