"""Everything the handlers share, kept in ``application.bot_data``."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import User
from telegram.ext import Application, CallbackContext

from bot.engine import Engine
from bot.models import LANGS, Lang, Reply
from bot.settings import Settings
from bot.telegram.memory import ChatMemory
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.shared import RedisChatMemory, RedisRateLimiter, shared_redis
from bot.telegram.store import Store, UserHasher, Vote, load_salt
from bot.telegram.texts import Texts, load_texts

KEY = "kelisim"
DEFAULT_LANG: Lang = "kk"
# How long the bot waits for the optional reason after 👎.
REASON_WAIT = 15 * 60


@dataclass(slots=True)
class AnswerRecord:
    """An answer the bot sent, kept in RAM so its buttons can work."""

    chat_id: int
    message_id: int
    question: str
    reply: Reply
    with_sources: str
    without_sources: str | None
    sources_shown: bool = True
    votes: dict[str, Vote] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PendingReason:
    case_id: int
    user_hash: str
    lang: Lang
    prompt_message_id: int | None
    since: float


class LruDict(OrderedDict[Any, Any]):
    """A dict that forgets its oldest entries beyond ``size``."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class Services:
    """The engine, store, texts and in-memory state of one running bot."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.texts: Texts = load_texts(settings.prompts_dir)
        self.store = Store.open(settings)
        self.hash_user = UserHasher(load_salt(settings))
        self.limiter: RateLimiter | RedisRateLimiter
        self.memory: ChatMemory | RedisChatMemory
        self.redis = shared_redis(settings)
        if self.redis is None:
            self.limiter = RateLimiter(settings.rate_limit_burst, settings.rate_limit_per_minute)
            self.memory = ChatMemory(settings.history_turns)
        else:
            self.limiter = RedisRateLimiter(
                self.redis,
                settings.rate_limit_burst,
                settings.rate_limit_per_minute,
                self.hash_user,
            )
            self.memory = RedisChatMemory(
                self.redis, settings.history_turns, settings.memory_ttl, self.hash_user
            )
        self.answers: LruDict = LruDict(5_000)
        self.pending: LruDict = LruDict(5_000)
        self.edited: LruDict = LruDict(5_000)
        self.admins: frozenset[int] = frozenset(settings.admin_ids)
        # Admins whose private chat already shows the admin command menu.
        self.admin_menus: set[int] = set()
        # One corpus change and index build at a time.
        self.curation_lock = asyncio.Lock()
        self._locks: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._next_key = 0

    def new_key(self) -> str:
        self._next_key += 1
        return format(self._next_key, "x")

    def lock(self, key: Hashable) -> asyncio.Lock:
        """One lock per conversation, so one user's messages are answered in order."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def chosen_lang(self, user: User) -> Lang | None:
        """The user's chosen language, else their Telegram app's language if we support it."""
        stored = self.store.user(self.hash_user(user.id))
        if stored is not None and stored.lang is not None:
            return stored.lang
        code = (user.language_code or "")[:2].lower()
        return cast(Lang, code) if code in LANGS else None

    def ui_lang(self, user: User | None) -> Lang:
        return (self.chosen_lang(user) if user else None) or DEFAULT_LANG

    def is_admin(self, user: User | None) -> bool:
        return user is not None and user.id in self.admins

    def actor(self, user: User) -> str:
        """How an admin appears in the audit log and as a reviewer: never the raw id."""
        return "telegram:" + self.hash_user(user.id)[:8]

    def take_pending(self, chat_id: int, user_id: int) -> PendingReason | None:
        pending: PendingReason | None = self.pending.pop((chat_id, user_id), None)
        if pending is None or time.monotonic() - pending.since > REASON_WAIT:
            return None
        return pending


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return cast(Services, context.application.bot_data[KEY])


def attach(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    application.bot_data[KEY] = services
