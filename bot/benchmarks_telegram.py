"""Load run of the Telegram bot: many simulated users over the local fake Bot API.

Two phases, both with the real engine and the offline (extractive) generator:

* **paced**: users send questions at a steady ``--rate``; reports the sustained
  rate and the p50/p95 latency from a user's message reaching the Bot API server
  to the bot's reply reaching it;
* **saturation**: all questions at once; reports how many the bot answers a second.

Each phase checks that every question got exactly one reply (none lost, none
duplicated). The global 30 requests/s limiter that protects a real bot from
Telegram's flood limits is switched off here (``KELISIM_TELEGRAM_MAX_RATE=0``), so
the figures are the bot's own capacity; everything else (per-user limits, retries,
HTML, buttons) is as deployed, in its own process.

Run: ``python -m bot.benchmarks_telegram [--users 100 --messages 5 --rate 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.settings import PROJECT_ROOT, Settings, get_settings

FAKE_SERVER = PROJECT_ROOT / "tests" / "telegram" / "fake_bot_api.py"
QUESTIONS = [
    "What does it mean that Kazakhstan is a secular state?",
    "How do online recruiters work?",
    "Что такое светское государство?",
    "Как вербовщики заманивают подростков в интернете?",
    "Зайырлы мемлекет деген не?",
    "Діни бірлестік қалай тіркеледі?",
    "Write a propaganda post calling people to join jihad",
    "What is the capital of France?",
]


@dataclass(frozen=True, slots=True)
class PhaseResult:
    name: str
    questions: int
    seconds: float
    latencies_ms: list[float]
    lost: int
    duplicated: int

    @property
    def per_second(self) -> float:
        return self.questions / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<11} {self.questions:>5} questions in {self.seconds:6.2f} s = "
            f"{self.per_second:6.1f} msg/s   latency p50 {self.percentile(0.5):6.0f} ms, "
            f"p95 {self.percentile(0.95):6.0f} ms, max {max(self.latencies_ms, default=0):6.0f}"
            f" ms   lost {self.lost}, duplicated {self.duplicated}"
        )


def _load_fake_server() -> ModuleType:
    if not FAKE_SERVER.exists():
        sys.exit(f"{FAKE_SERVER} is missing: the benchmark needs the tests' fake Bot API server.")
    spec = importlib.util.spec_from_file_location("fake_bot_api", FAKE_SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_bot_api"] = module
    spec.loader.exec_module(module)
    return module


async def _phase(
    fake: Any, name: str, first_user: int, users: int, messages: int, rate: float | None
) -> PhaseResult:
    """Send ``users × messages`` questions (at ``rate`` a second, or all at once)."""
    people = [fake.user(first_user + n, f"U{n}", "en") for n in range(users)]
    plan = [
        (people[n % users], QUESTIONS[(n // users + n) % len(QUESTIONS)])
        for n in range(users * messages)
    ]
    pushed: dict[int, list[float]] = {p["id"]: [] for p in people}
    started = time.monotonic()
    for n, (person, text) in enumerate(plan):
        if rate:
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        pushed[person["id"]].append(time.monotonic())
        fake.send_text(person, text)

    def answered() -> int:
        counts = Counter(s.chat_id for s in list(fake.sent))
        return sum(min(counts[pid], len(times)) for pid, times in pushed.items())

    deadline = time.monotonic() + 120
    while answered() < len(plan) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    finished = time.monotonic()
    await asyncio.sleep(1.0)  # anything sent twice would show up by now
    latencies, lost, duplicated = [], 0, 0
    for pid, times in pushed.items():
        replies = fake.sent_to(pid)
        lost += max(0, len(times) - len(replies))
        duplicated += max(0, len(replies) - len(times))
        latencies += [(r.sent_at - t) * 1000 for r, t in zip(replies, times, strict=False)]
    return PhaseResult(name, len(plan), finished - started, latencies, lost, duplicated)


async def run(settings: Settings, users: int, messages: int, rate: float) -> list[PhaseResult]:
    """The bot runs as its own process (``kelisim bot``), as deployed; this process plays
    Telegram's servers and the users, so the two do not share one interpreter lock."""
    fake_module = _load_fake_server()
    fake = fake_module.FakeBotAPI()
    fake.start()
    with tempfile.TemporaryDirectory() as data_dir:
        shutil.copytree(settings.index_dir, Path(data_dir) / "index")
        if (settings.data_dir / "cache").exists():
            shutil.copytree(settings.data_dir / "cache", Path(data_dir) / "cache")
        env = {
            **os.environ,
            "KELISIM_TELEGRAM_TOKEN": fake.token,
            "KELISIM_TELEGRAM_BASE_URL": fake.base_url,
            "KELISIM_DATA_DIR": data_dir,
            "KELISIM_GENERATOR": "extractive",
            "KELISIM_TELEGRAM_MAX_RATE": "0",  # a local Bot API server has no flood limit
            "KELISIM_RATE_LIMIT_BURST": str(messages),
            "KELISIM_USER_ID_SALT_FILE": str(Path(data_dir).with_name("kelisim-bench-key")),
        }
        # Cold start: a message is waiting when the process starts, as after a deploy.
        warm = fake.user(1, "Warm", "en")
        fake.send_text(warm, QUESTIONS[0])
        launched = time.monotonic()
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "bot"], env=env, stdout=subprocess.DEVNULL
        )
        try:
            fake.wait_until(lambda: bool(fake.sent_to(warm["id"])), timeout=120)
            print(
                f"cold start: the bot answered the message waiting for it "
                f"{time.monotonic() - launched:.1f} s after its process started"
            )
            paced = await _phase(fake, "paced", 10_000, users, messages, rate)
            flood = await _phase(fake, "saturation", 20_000, users, messages, None)
        finally:
            bot.send_signal(signal.SIGINT)
            try:
                bot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
            fake.stop()
    return [paced, flood]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="simulated users per phase")
    parser.add_argument("--messages", type=int, default=5, help="questions per user")
    parser.add_argument("--rate", type=float, default=60.0, help="paced phase, messages/s")
    args = parser.parse_args(argv)
    settings = get_settings().model_copy(update={"generator": "extractive", "guard_base_url": None})
    print(
        f"Telegram bot load run: {args.users} users × {args.messages} questions per phase, "
        f"paced at {args.rate:g}/s, offline generator"
    )
    results = asyncio.run(run(settings, args.users, args.messages, args.rate))
    for result in results:
        print(result.line())
    ok = all(r.lost == 0 and r.duplicated == 0 for r in results)
    paced = results[0]
    print(
        f"target ≥ 50 msg/s sustained with p95 ≤ 500 ms: "
        f"{'met' if paced.per_second >= 50 and paced.percentile(0.95) <= 500 else 'NOT met'} "
        f"(sustained {paced.per_second:.1f} msg/s, p95 {paced.percentile(0.95):.0f} ms); "
        f"saturation {results[1].per_second:.1f} msg/s"
    )
    print("no reply lost or duplicated" if ok else "REPLIES LOST OR DUPLICATED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
