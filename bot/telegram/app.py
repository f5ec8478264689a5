"""Building and running the bot on python-telegram-bot's ``Application``."""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.engine import Engine
from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.telegram import admin, commands, posts, questions
from bot.telegram.client import POLL_TIMEOUT, make_bot
from bot.telegram.delivery import PossiblyDelivered, best_effort
from bot.telegram.journal import (
    JournalledApplication,
    JournalQueue,
    UpdateJournal,
    resume,
)
from bot.telegram.services import Services, attach, services_of

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

PURGE_EVERY = 24 * 3600
CONCURRENT_UPDATES = 16


# Set when Telegram kept rejecting the token and the bot stopped because of it.
_REJECTED = threading.Event()


def token_rejected() -> bool:
    return _REJECTED.is_set()


def file_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API ``base_url``."""
    if "/bot{token}" in base_url:
        return base_url.replace("/bot{token}", "/file/bot{token}")
    if base_url.endswith("/bot"):
        return base_url.removesuffix("/bot") + "/file/bot"
    return base_url


def token_of(settings: Settings) -> str:
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token:
        raise ConfigurationError(
            "KELISIM_TELEGRAM_TOKEN is not set: get a token from @BotFather and put it in .env."
        )
    return token


def build_application(
    settings: Settings, engine: Engine, *, rate_limiter: BaseRateLimiter[Any] | None = None
) -> AnyApplication:
    """The bot, ready for :func:`running`, ``run_polling`` or ``run_webhook``."""
    queue = JournalQueue()
    bot = make_bot(settings, token_of(settings), file_url(settings.telegram_base_url), rate_limiter)
    application = (
        ApplicationBuilder()
        .application_class(JournalledApplication)
        .update_queue(queue)
        .bot(bot)
        .concurrent_updates(CONCURRENT_UPDATES)
        .job_queue(None)
        .post_init(_on_startup)
        .post_stop(_on_stop)
        .post_shutdown(_on_shutdown)
        .build()
    )

    def rejected() -> None:
        _REJECTED.set()
        application.stop_running()

    bot.when_token_rejected(rejected)
    services = Services(settings, engine)
    queue.journal = UpdateJournal(services.store, settings.update_lease)
    attach(application, services)
    _add_handlers(application)
    return application


def _add_handlers(application: AnyApplication) -> None:
    admin.add_handlers(application, services_of_app(application).admins)
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    new = filters.UpdateType.MESSAGE
    for name, callback in (
        ("start", commands.on_start),
        ("help", commands.on_help),
        ("lang", commands.on_lang),
        ("privacy", commands.on_privacy),
        ("about", commands.on_about),
        ("reset", commands.on_reset),
        ("forget", commands.on_forget),
        ("ask", questions.on_ask),
        ("check", posts.on_check),
        ("learn", posts.on_learn),
    ):
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(CallbackQueryHandler(commands.on_button))
    text = filters.TEXT & ~filters.COMMAND
    # A forwarded post is analysed, not answered (before the question handlers).
    application.add_handler(MessageHandler(new & private & filters.FORWARDED, posts.on_forwarded))
    application.add_handler(MessageHandler(new & private & text, questions.on_private_text))
    application.add_handler(MessageHandler(new & groups & text, questions.on_group_text))
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & text, questions.on_edited)
    )
    application.add_handler(
        MessageHandler(
            new & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, questions.on_not_text
        )
    )
    application.add_error_handler(_on_error)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (no token, no message text) and apologise to the user."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, PossiblyDelivered):
        # The answer may well have arrived: an apology after it would confuse.
        log.warning("update %s: the reply may not have been delivered (%s)", update_id, error)
        return
    if isinstance(error, TelegramError):
        log.error("update %s: Bot API error %s: %s", update_id, type(error).__name__, error)
    elif error is not None:
        # The traceback's frames, not the exception's message, which may quote user text.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("update %s: %s\n%s", update_id, type(error).__name__, frames)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services = services_of(context)
    text = services.texts.get(services.ui_lang(update.effective_user), "error")
    await best_effort(context.bot.send_message(update.effective_chat.id, text), "apology")


# ------------------------------------------------------------------ lifecycle
async def _on_startup(application: AnyApplication) -> None:
    services = services_of_app(application)
    removed = services.store.purge(services.settings.retention_days)
    if removed:
        log.info("purged %d expired records", removed)
    await commands.register_commands(application, services.texts)
    await admin.show_menus(application.bot, services)
    application.bot_data["purge_task"] = asyncio.create_task(_purge_daily(services))
    resumed = await resume(application)
    if resumed:
        log.info("resuming %d message(s) left unanswered by the last run", resumed)


async def _purge_daily(services: Services) -> None:
    while True:
        await asyncio.sleep(PURGE_EVERY)
        try:
            services.store.purge(services.settings.retention_days)
        except Exception:
            log.exception("daily purge failed")


async def _on_stop(application: AnyApplication) -> None:
    for name in ("purge_task",):
        task = application.bot_data.pop(name, None)
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


async def _on_shutdown(application: AnyApplication) -> None:
    services_of_app(application).store.close()


def services_of_app(application: AnyApplication) -> Services:
    services: Services = application.bot_data["kelisim"]
    return services


# -------------------------------------------------------------------- running
@asynccontextmanager
async def running(
    application: AnyApplication, *, poll_timeout: int = POLL_TIMEOUT
) -> AsyncIterator[AnyApplication]:
    """Long polling inside an already running event loop (what ``run_polling`` does)."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await _stop(application)


async def _stop(application: AnyApplication) -> None:
    """What ``run_polling`` does on the way out, for the loops we run ourselves."""
    if application.running:
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


async def _check_token(settings: Settings) -> None:
    """Ask getMe once, so a wrong token is one clear error rather than a retry loop."""
    from telegram import Bot

    base = settings.telegram_base_url
    async with Bot(token_of(settings), base_url=base, base_file_url=file_url(base)):
        pass  # entering calls getMe; InvalidToken propagates to the command


def run_polling(settings: Settings, engine: Engine) -> None:
    application = build_application(settings, engine)
    asyncio.run(_check_token(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())  # asyncio.run left none behind
    log.info("polling Telegram for updates: ready to answer")
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=POLL_TIMEOUT)


def run_webhook(settings: Settings, engine: Engine, url: str, host: str, port: int) -> None:
    """Serve Telegram's webhook calls at ``url`` (behind a TLS proxy) until stopped."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise ConfigurationError(
            "A webhook needs KELISIM_WEBHOOK_SECRET (1–256 characters: "
            "letters, digits, _ and -), so that only Telegram can post."
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigurationError(f"--webhook must be an https:// URL, got {url!r}")
    application = build_application(settings, engine)
    asyncio.run(_check_token(settings))
    asyncio.run(_serve_webhook(application, url, parts.path or "/", secret, host, port))


async def _serve_webhook(
    application: AnyApplication, url: str, path: str, secret: str, host: str, port: int
) -> None:
    import uvicorn

    from bot.telegram.webhook import create_webhook_app

    config = uvicorn.Config(
        create_webhook_app(application, path, secret),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=20,
    )
    server = uvicorn.Server(config)
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES, max_connections=40
        )
        await application.start()
        log.info("webhook: listening on %s:%d for %s: ready to answer", host, port, url)
        await server.serve()
    finally:
        log.info("webhook: stopping")
        await _stop(application)
