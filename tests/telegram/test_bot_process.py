"""The deployed ``kelisim bot`` process under crashes, replays, floods and bad tokens.

Telegram's side is the fake Bot API; the bot is the real command in its own
process, killed with SIGKILL where the test says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fake_bot_api import FakeBotAPI

from bot.settings import Settings
from tests.servers import free_port

SECRET = "s3cret-token_for-tests"
QUESTIONS = [
    "What does it mean that Kazakhstan is a secular state?",
    "Что такое свобода совести?",
    "Діни экстремизм деген не?",
    "How do online recruiters work?",
    "Что значит джихад?",
]


def _data_dir(settings: Settings, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copytree(settings.index_dir, data / "index")
    if (settings.data_dir / "cache").exists():
        shutil.copytree(settings.data_dir / "cache", data / "cache")
    return data


@contextmanager
def bot_process(
    fake: FakeBotAPI, data: Path, *args: str, token: str | None = None
) -> Iterator[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "KELISIM_TELEGRAM_TOKEN": token or fake.token,
        "KELISIM_TELEGRAM_BASE_URL": fake.base_url,
        "KELISIM_DATA_DIR": str(data),
        "KELISIM_WEBHOOK_SECRET": SECRET,
        "KELISIM_USER_ID_SALT_FILE": str(data.parent / "salt"),
        "KELISIM_RATE_LIMIT_BURST": "20",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "bot", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=30)


def test_a_crash_loses_no_message_and_answers_none_twice(
    fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    data = _data_dir(settings, tmp_path)
    users = [fake.user(6000 + n, "U", "en") for n in range(50)]
    fake.faults.send_budget = 10  # ten replies get out, then the bot is killed
    with bot_process(fake, data) as first:
        for n, user in enumerate(users):
            fake.send_text(user, QUESTIONS[n % len(QUESTIONS)])
        fake.wait_until(lambda: len(fake.sent) >= 10 and fake.unconfirmed() == 0, 180)
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert len(fake.sent) == 10 and fake.unconfirmed() == 0  # Telegram would not resend
    fake.faults.send_budget = None
    with bot_process(fake, data):
        fake.wait_until(lambda: all(fake.sent_to(u["id"]) for u in users), 240)
        time.sleep(2.0)
    answers = {u["id"]: len(fake.sent_to(u["id"])) for u in users}
    doubles = {k: [s.text[:60] for s in fake.sent_to(k)] for k, v in answers.items() if v != 1}
    assert set(answers.values()) == {1}, doubles


def _post(url: str, body: bytes | dict, secret: str = SECRET, **headers: str) -> httpx.Response:
    head = {"X-Telegram-Bot-Api-Secret-Token": secret, **headers}
    if isinstance(body, dict):
        return httpx.post(url, json=body, headers=head, timeout=10)
    return httpx.post(url, content=body, headers=head, timeout=10)


def _declared_huge(port: int) -> int:
    """Status of a POST that declares a 90 MB body and sends only its first bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n".encode()
            + f"Content-Length: {90 * 1024 * 1024}\r\n\r\n".encode()
            + b"{" * 1024
        )
        status_line = sock.recv(64).split(b"\r\n")[0]
    return int(status_line.split()[1])


def test_webhook_answers_a_replayed_update_once_and_refuses_bad_posts_cheaply(
    fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    data = _data_dir(settings, tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    hook = ("--webhook", "https://bot.example.test/hook", "--listen", f"127.0.0.1:{port}")
    with bot_process(fake, data, *hook) as proc:
        fake.wait_until(lambda: fake.webhook_url == "https://bot.example.test/hook", 180)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(base + "/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the webhook listener did not start"
            time.sleep(0.1)
        health = httpx.get(base + "/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["checks"]["index"] == "ok"
        assert health.json()["checks"]["database"] == "ok"

        user = fake.user(6101, "Aru", "ru")
        update = {
            "update_id": 77,
            "message": fake._user_message(user, None, text="Что такое светское государство?"),
        }
        assert [_post(url, update).status_code for _ in range(3)] == [200, 200, 200]
        fake.wait_until(lambda: bool(fake.sent_to(6101)), 60)
        time.sleep(1.5)
        assert _post(url, update).status_code == 200  # a replay after it was answered
        time.sleep(1.0)
        assert len(fake.sent_to(6101)) == 1

        # Refused before the body is read: no secret, or a declared 90 MB body.
        assert _post(url, b"x" * 1000, secret="guess").status_code == 403
        assert _declared_huge(port) == 413
        assert _post(url, b"x" * (300 * 1024)).status_code == 413
        # Not an update: 400, and its text is never logged.
        assert _post(url, b'{"message": "call me +7 701 123 4567"').status_code == 400
        assert _post(url, {"update_id": "x", "text": "call me +7 701 123 4567"}).status_code == 400
        assert _post(url, b"[1, 2, 3]").status_code == 400

        # A damaged index file: still answering from memory, and /healthz says so.
        (data / "index" / "chroma.sqlite3").write_bytes(b"garbage" * 100)
        time.sleep(6)  # the engine re-reads its pointer every few seconds
        health = httpx.get(base + "/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["checks"]["index"].startswith("error")
        assert httpx.get(base + "/readyz", timeout=10).status_code == 200
        second = dict(update, update_id=78)
        second["message"] = fake._user_message(user, None, text="Что такое свобода совести?")
        assert _post(url, second).status_code == 200
        fake.wait_until(lambda: len(fake.sent_to(6101)) == 2, 60)
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "701 123" not in err and "call me" not in err and "светское" not in err
    assert fake.token not in err and SECRET not in err
    assert "malformed update refused" in err


def test_a_rejected_token_is_one_clear_line_without_the_token(
    fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    data = _data_dir(settings, tmp_path)
    wrong = "987654321:AAH-wrong-token-for-tests_0123456789ab"
    with bot_process(fake, data, token=wrong) as proc:
        proc.wait(timeout=180)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert "Telegram rejects the bot token" in err and "@BotFather" in err
    assert wrong not in err and "Traceback" not in err


def test_a_token_revoked_while_running_stops_the_bot_clearly(
    fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    data = _data_dir(settings, tmp_path)
    with bot_process(fake, data) as proc:
        fake.send_text(fake.user(6201), QUESTIONS[0])
        fake.wait_until(lambda: bool(fake.sent_to(6201)), 180)
        fake.token = "987654321:AAH-revoked-token-for-tests_01234567"
        proc.wait(timeout=120)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert "401 Unauthorized" in err and "@BotFather" in err
    assert "AAH-fake-token" not in err


def test_the_bot_starts_without_loading_what_only_educators_commands_need() -> None:
    """scikit-learn ("check this post") and LangChain/Chroma (the /rebuild command) cost
    two seconds to import; a bot starting up must not wait for them before answering."""
    code = (
        "import sys; import bot.cli; from bot.telegram.app import run_polling; "
        "print(' '.join(m for m in ('sklearn', 'langchain_chroma', 'chromadb') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
