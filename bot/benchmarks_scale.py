"""Scale-out load run: 1, 2 and 4 webhook workers on PostgreSQL and Redis.

Beside them, in the same run, the single-process default (one worker, SQLite, no
Redis) as the baseline. This process plays Telegram (each user's messages in
order, a call repeated until it succeeds) through a round-robin proxy; the
workers are real ``kelisim bot --webhook`` processes. The flood limit is off
(``KELISIM_TELEGRAM_MAX_RATE=0``) so that the figures are the workers' own
capacity. On a two-core machine the absolute numbers are bounded by the cores;
read the ratios.

Needs PostgreSQL and Redis installed (``make setup`` does it where it can); the
servers are started here on 127.0.0.1 and thrown away afterwards.

Run: ``python -m bot.benchmarks_scale [--users 40 --messages 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.settings import PROJECT_ROOT, get_settings

WORKERS = (1, 2, 4)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _phase(
    fake: Any,
    harness: ModuleType,
    workers: int,
    pg: str | None,
    redis_url: str | None,
    users: int,
    messages: int,
    first_user: int,
    tmp: Path,
) -> tuple[float, float]:
    """Messages a second and the p95 latency (ms) from a post to its reply."""
    settings = get_settings()
    cache = settings.data_dir / "cache"
    people = [fake.user(first_user + n, "U", "en") for n in range(users)]
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                harness.worker(
                    fake, settings.index_dir, cache, tmp / f"w{first_user}-{n}", pg, redis_url, 0
                )
            )[1]
            for n in range(workers)
        ]
        proxy = stack.enter_context(harness.Proxy(urls))
        started = time.monotonic()
        _, posted = asyncio.run(
            harness.play_telegram(
                fake, f"http://127.0.0.1:{proxy.port}/hook", people, messages, first_user * 10
            )
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(
            len(fake.sent_to(p["id"])) < messages for p in people
        ):
            time.sleep(0.05)
        seconds = time.monotonic() - started
    latencies = sorted(
        (reply.sent_at - at) * 1000
        for p in people
        for reply, at in zip(fake.sent_to(p["id"]), posted[p["id"]], strict=False)
    )
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else 0.0
    return users * messages / seconds, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--messages", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT_ROOT))
    servers = _load("kelisim_test_servers", PROJECT_ROOT / "tests" / "servers.py")
    fake_module = _load("fake_bot_api", PROJECT_ROOT / "tests" / "telegram" / "fake_bot_api.py")
    harness = _load("scale_harness", PROJECT_ROOT / "tests" / "telegram" / "scale_harness.py")
    if servers.postgres_bin() is None or shutil.which("redis-server") is None:
        print(
            "scale-out: skipped (needs PostgreSQL and Redis: "
            "sudo apt-get install postgresql redis-server)"
        )
        return
    fake = fake_module.FakeBotAPI()
    fake.start()
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            servers.postgres() as pg,
            servers.redis_server() as redis_url,
        ):
            import sqlalchemy as sa

            rows = []
            base_rate, base_p95 = _phase(
                fake, harness, 1, None, None, args.users, args.messages, 100_000, Path(tmp)
            )
            rows.append(("1 worker, SQLite (baseline)", base_rate, base_p95))
            for n, workers in enumerate(WORKERS, 1):
                name = f"scale{n}"
                engine = sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://"))
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(sa.text(f"CREATE DATABASE {name}"))
                engine.dispose()
                url = pg.rsplit("/", 1)[0] + f"/{name}"
                rate, p95 = _phase(
                    fake,
                    harness,
                    workers,
                    url,
                    redis_url,
                    args.users,
                    args.messages,
                    100_000 * (n + 1),
                    Path(tmp),
                )
                rows.append((f"{workers} worker(s), PostgreSQL + Redis", rate, p95))
    finally:
        fake.stop()
    print(f"scale-out ({args.users} users x {args.messages} messages each, flood limit off):")
    for label, rate, p95 in rows:
        print(
            f"  {label:<34} {rate:6.1f} msg/s ({rate / base_rate:4.2f}x)   "
            f"p95 {p95:7.0f} ms ({p95 / base_p95:4.2f}x)"
        )


if __name__ == "__main__":
    main()
