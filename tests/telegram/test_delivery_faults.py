"""Sends that fail in ways that leave open whether Telegram got them, and crashes.

Each fault is played by the fake Bot API. The rule under test: a reply is sent
again only when it certainly did not arrive, and the apology never follows a
reply that may have arrived.
"""

from __future__ import annotations

import httpx
import pytest
from conftest import bot_for, eventually, settle
from telegram.error import NetworkError, TimedOut

from bot.telegram import client
from bot.telegram.delivery import not_delivered

QUESTION = "What does it mean that Kazakhstan is a secular state?"


def test_only_certain_non_delivery_counts_as_not_delivered():
    def wrapped(error: Exception, cause: Exception | None) -> Exception:
        error.__cause__ = cause
        return error

    request = httpx.Request("POST", "http://127.0.0.1/")
    assert not_delivered(wrapped(NetworkError("x"), httpx.ConnectError("refused", request=request)))
    assert not_delivered(wrapped(TimedOut(), httpx.ConnectTimeout("slow", request=request)))
    assert not_delivered(NetworkError("Internal Server Error"))  # Telegram answered 5xx
    assert not not_delivered(wrapped(TimedOut(), httpx.ReadTimeout("late", request=request)))
    assert not not_delivered(wrapped(NetworkError("x"), httpx.ReadError("cut", request=request)))
    assert not not_delivered(
        wrapped(NetworkError("x"), httpx.RemoteProtocolError("cut", request=request))
    )


async def test_a_server_error_before_delivery_is_retried_once_delivered(fake, bot_settings, engine):
    fake.faults.server_errors["sendMessage"] = 2
    async with bot_for(bot_settings, engine):
        fake.send_text(fake.user(5001), QUESTION)
        await eventually(lambda: fake.sent_to(5001))
        await settle(fake)
    sent = fake.sent_to(5001)
    assert len(sent) == 1 and "Sources:" in sent[0].text


async def test_a_delivered_reply_with_a_garbled_answer_is_not_resent_nor_apologised_for(
    fake, bot_settings, engine
):
    fake.faults.garbled_sends = 1
    async with bot_for(bot_settings, engine):
        fake.send_text(fake.user(5002), QUESTION)
        await eventually(lambda: fake.sent_to(5002))
        await settle(fake, quiet=1.0)
    sent = fake.sent_to(5002)
    assert len(sent) == 1, [s.text[:40] for s in sent]
    assert "Sources:" in sent[0].text


async def test_a_slow_but_delivered_reply_gets_no_retry_and_no_apology(
    fake, bot_settings, engine, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(client, "READ_TIMEOUT", 1.0)
    fake.faults.send_delay = 2.5
    async with bot_for(bot_settings, engine):
        fake.send_text(fake.user(5003), QUESTION)
        await eventually(lambda: fake.sent_to(5003))
        await settle(fake, quiet=3.0)
    sent = fake.sent_to(5003)
    assert len(sent) == 1 and "Sources:" in sent[0].text
