"""`kelisim bot --webhook`: the deployed process, Telegram's side played by the fake server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fake_bot_api import FakeBotAPI

from bot.settings import Settings
from tests.servers import free_port

SECRET = "s3cret-token_for-tests"


def test_webhook_process_answers_only_telegram(
    fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    shutil.copytree(settings.index_dir, tmp_path / "index")
    if (settings.data_dir / "cache").exists():
        shutil.copytree(settings.data_dir / "cache", tmp_path / "cache")
    port = free_port()
    env = {
        **os.environ,
        "KELISIM_TELEGRAM_TOKEN": fake.token,
        "KELISIM_TELEGRAM_BASE_URL": fake.base_url,
        "KELISIM_DATA_DIR": str(tmp_path),
        "KELISIM_WEBHOOK_SECRET": SECRET,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "bot",
            "--webhook",
            "https://bot.example.test/hook",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake.wait_until(lambda: fake.webhook_url == "https://bot.example.test/hook", 180)
        assert fake.calls_of("setWebhook")[-1]["secret_token"] == SECRET
        user = fake.user(4242, "Aru", "ru")
        update = {
            "update_id": 1,
            "message": fake._user_message(user, None, text="Что такое светское государство?"),
        }
        url = f"http://127.0.0.1:{port}/hook"
        for _ in range(100):  # the listener starts right after setWebhook
            try:
                wrong = httpx.post(
                    url,
                    json=update,
                    timeout=5,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                )
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert wrong.status_code == 403
        right = httpx.post(
            url, json=update, timeout=5, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert right.status_code == 200
        fake.wait_until(lambda: bool(fake.sent_to(user["id"])), 60)
        time.sleep(1.0)
        replies = fake.sent_to(user["id"])
        assert len(replies) == 1 and "светск" in replies[0].text.lower()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert fake.token not in err and SECRET not in err
