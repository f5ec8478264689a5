"""429 storms, a server that goes away, restarts, failures and secrets in logs."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import bot_for, eventually, settle
from fake_bot_api import TOKEN
from pydantic import SecretStr

from bot.errors import ConfigurationError
from bot.telegram.app import build_application, run_webhook
from bot.telegram.delivery import with_retries
from bot.telegram.redact import install_redaction

QUESTION = "What does it mean that Kazakhstan is a secular state?"


async def test_429_storm_still_delivers_exactly_once(fake, bot_settings, engine):
    user = fake.user(4001)
    fake.faults.retry_after = 1
    fake.faults.rate_limited["sendMessage"] = 3
    fake.faults.rate_limited["sendChatAction"] = 2
    async with bot_for(bot_settings, engine):
        fake.send_text(user, QUESTION)
        await eventually(lambda: fake.sent_to(4001))
        await settle(fake)
    assert len(fake.sent_to(4001)) == 1
    assert "Sources:" in fake.sent_to(4001)[0].text
    assert len(fake.calls_of("sendMessage")) == 4  # three refused, then delivered


async def test_polling_recovers_after_the_server_drops_connections(fake, bot_settings, engine):
    user = fake.user(4101)
    async with bot_for(bot_settings, engine):
        fake.send_text(user, QUESTION)
        await eventually(lambda: len(fake.sent_to(4101)) == 1)
        outage = asyncio.create_task(asyncio.to_thread(fake.outage, 2.0))
        await asyncio.sleep(0.5)
        fake.send_text(user, "How do online recruiters work?")  # arrives while it is down
        await outage
        await eventually(lambda: len(fake.sent_to(4101)) == 2)
        await settle(fake)
    assert len(fake.sent_to(4101)) == 2


async def test_reply_is_retried_until_the_server_is_back(fake, bot_settings, engine):
    user = fake.user(4201)
    fake.send_text(user, "hello")  # makes the chat known to the server
    application = build_application(bot_settings, engine)
    await application.initialize()
    try:
        fake.stop()
        sending = asyncio.create_task(
            with_retries(lambda: application.bot.send_message(4201, "still here"), first_delay=0.3)
        )
        await asyncio.sleep(1.0)
        assert not sending.done()
        await asyncio.to_thread(fake.start_on_same_port)
        message = await sending
    finally:
        await application.shutdown()
    assert message.text == "still here"
    assert [s.text for s in fake.sent_to(4201)] == ["still here"]


async def test_restart_does_not_answer_again(fake, bot_settings, engine):
    user = fake.user(4301)
    async with bot_for(bot_settings, engine):
        fake.send_text(user, QUESTION)
        await eventually(lambda: len(fake.sent_to(4301)) == 1)
    async with bot_for(bot_settings, engine):
        fake.send_text(user, "How do online recruiters work?")
        await eventually(lambda: len(fake.sent_to(4301)) == 2)
        await settle(fake)
    assert len(fake.sent_to(4301)) == 2
    # A crash before the offset was confirmed: Telegram hands the updates out again.
    fake.redeliver_all()
    async with bot_for(bot_settings, engine):
        fake.send_text(user, "What is a secular state?")
        await eventually(lambda: len(fake.sent_to(4301)) == 3)
        await settle(fake)
    assert len(fake.sent_to(4301)) == 3


class _Broken:
    """An engine whose answer fails, with a message that quotes the user's text."""

    def __init__(self, engine):
        self.prompts = engine.prompts
        self.settings = engine.settings

    def answer(self, question):
        raise RuntimeError(f"cannot answer {question.text!r}")


async def test_failure_is_logged_without_token_or_text_and_user_gets_an_apology(
    fake, bot_settings, engine, caplog
):
    user = fake.user(4401)
    redactor = install_redaction(TOKEN)
    try:
        with caplog.at_level(logging.INFO):
            async with bot_for(bot_settings, engine) as services:
                services.engine = _Broken(engine)
                fake.send_text(user, "my secret question")
                await eventually(lambda: fake.sent_to(4401))
                logging.getLogger("test").info("POST %s", f"{fake.base_url}{TOKEN}/getMe")
    finally:
        redactor.uninstall()
    assert fake.sent_to(4401)[0].text.startswith("Sorry, something went wrong")
    assert "RuntimeError" in caplog.text
    assert "my secret question" not in caplog.text
    assert TOKEN not in caplog.text and "<token>" in caplog.text


def test_redaction_covers_tracebacks(caplog):
    redactor = install_redaction(TOKEN)
    try:
        try:
            raise ValueError(f"https://api.telegram.org/bot{TOKEN}/getMe failed")
        except ValueError:
            logging.getLogger("test").exception("request failed")
        other = "987654321:ZZZ-another-token-shaped-secret-value_x"
        logging.getLogger("test").error("token %s", other)
    finally:
        redactor.uninstall()
    assert TOKEN not in caplog.text and other not in caplog.text
    assert caplog.text.count("<token>") >= 2


def test_webhook_needs_a_secret_and_https(bot_settings, engine):
    with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
        run_webhook(bot_settings, engine, "https://example.org/hook", "127.0.0.1", 8443)
    with_secret = bot_settings.model_copy(update={"webhook_secret": SecretStr("s3cret")})
    with pytest.raises(ConfigurationError, match="https"):
        run_webhook(with_secret, engine, "http://example.org/hook", "127.0.0.1", 8443)


def test_bot_needs_a_token(bot_settings, engine):
    with pytest.raises(ConfigurationError, match="KELISIM_TELEGRAM_TOKEN"):
        build_application(bot_settings.model_copy(update={"telegram_token": None}), engine)
