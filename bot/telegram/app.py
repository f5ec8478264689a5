"""Building and running the bot on python-telegram-bot's ``Application``."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.engine import Engine
from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.telegram import admin, commands, questions
from bot.telegram.delivery import best_effort
from bot.telegram.services import Services, attach, services_of

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

PURGE_EVERY = 24 * 3600
# Waits out up to this many 429 ``retry_after`` answers per request.
RATE_LIMIT_RETRIES = 5
CONCURRENT_UPDATES = 16
# httpcore checks every pooled connection on each request: a small pool is faster.
CONNECTION_POOL = 16
POLL_TIMEOUT = 10


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
    application = (
        ApplicationBuilder()
        .token(token_of(settings))
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url(settings.telegram_base_url))
        .rate_limiter(
            rate_limiter
            or AIORateLimiter(
                overall_max_rate=settings.telegram_max_rate, max_retries=RATE_LIMIT_RETRIES
            )
        )
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(CONNECTION_POOL)
        .connect_timeout(5)
        .read_timeout(15)
        .write_timeout(15)
        .pool_timeout(10)
        .get_updates_connect_timeout(5)
        .get_updates_read_timeout(POLL_TIMEOUT + 5)
        .job_queue(None)
        .post_init(_on_startup)
        .post_stop(_on_stop)
        .post_shutdown(_on_shutdown)
        .build()
    )
    attach(application, Services(settings, engine))
    _add_handlers(application)
    return application


def _add_handlers(application: AnyApplication) -> None:
    application.add_handler(TypeHandler(Update, _skip_seen_updates), group=-1)
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
    ):
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(CallbackQueryHandler(commands.on_button))
    text = filters.TEXT & ~filters.COMMAND
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


async def _skip_seen_updates(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Never answer an update twice, even when a crash kept its offset from being confirmed."""
    services = services_of(context)
    if update.update_id <= services.startup_update_id:
        raise ApplicationHandlerStop
    services.store.advance_update_id(update.update_id)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (no token, no message text) and apologise to the user."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
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
    services.startup_update_id = services.store.last_update_id()
    removed = services.store.purge(services.settings.retention_days)
    if removed:
        log.info("purged %d expired records", removed)
    await commands.register_commands(application, services.texts)
    await admin.show_menus(application.bot, services)
    application.bot_data["purge_task"] = asyncio.create_task(_purge_daily(services))


async def _purge_daily(services: Services) -> None:
    while True:
        await asyncio.sleep(PURGE_EVERY)
        try:
            services.store.purge(services.settings.retention_days)
        except Exception:
            log.exception("daily purge failed")


async def _on_stop(application: AnyApplication) -> None:
    task = application.bot_data.pop("purge_task", None)
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
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def run_polling(settings: Settings, engine: Engine) -> None:
    application = build_application(settings, engine)
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=POLL_TIMEOUT)


def run_webhook(settings: Settings, engine: Engine, url: str, host: str, port: int) -> None:
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
    application.run_webhook(
        listen=host,
        port=port,
        url_path=parts.path.lstrip("/"),
        webhook_url=url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
