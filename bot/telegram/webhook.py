"""The webhook listener: Telegram posts updates here.

python-telegram-bot's own listener reads a whole body (up to 100 MB) before it
looks at the secret token, answers a malformed update with 500 and logs it in
full. This one is a small Starlette app run by uvicorn, in the order a public
endpoint needs:

1. the secret token is compared (constant time) before any of the body is read;
2. a declared or actual body over :data:`MAX_BODY` is refused with 413;
3. a body that is not a Telegram update is refused with 400, logged without
   its content;
4. the update is written to the journal (see :mod:`bot.telegram.journal`)
   before the 200 that tells Telegram it arrived.

It also serves ``GET /healthz`` (the whole state: database and Redis reachable,
index readable, LLM endpoint, bot running) and ``GET /readyz`` (can answer now)
for a proxy or an orchestrator.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.engine import Engine
from bot.telegram.journal import JournalQueue, UpdateJournal

log = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes; the largest (a long message with many
# entities) stays far below this.
MAX_BODY = 256 * 1024
SECRET_HEADER = "x-telegram-bot-api-secret-token"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class _TooLarge(Exception):
    pass


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)


def health(engine: Engine, application: AnyApplication) -> tuple[int, dict[str, Any]]:
    """``/healthz``: 200 only when every part works; otherwise 503 and what is wrong."""
    checks = {
        "bot": "ok" if application.running else "stopped",
        "database": _database(application),
        **_redis(application),
        **engine.health(),
    }
    ok = all(v == "ok" for v in checks.values())
    return (200 if ok else 503), {"status": "ok" if ok else "degraded", "checks": checks}


def readiness(engine: Engine, application: AnyApplication) -> tuple[int, dict[str, Any]]:
    """``/readyz``: 200 when the bot runs, reaches its database and has an index to answer from."""
    ready = (
        application.running
        and engine.ready()
        and _database(application) == "ok"
        and all(v == "ok" for v in _redis(application).values())
    )
    return (200 if ready else 503), {"status": "ready" if ready else "not ready"}


def _database(application: AnyApplication) -> str:
    try:
        application.bot_data["kelisim"].store.ping()
    except Exception as exc:  # any driver error: report its kind, never the URL
        return f"unreachable ({type(exc).__name__})"
    return "ok"


async def _keep_claim(journal: UpdateJournal, update_id: int) -> None:
    """Renew the claim while the update is handled, well within the lease."""
    while True:
        await asyncio.sleep(journal.lease / 3)
        try:
            await asyncio.to_thread(journal.refresh, update_id)
        except Exception:  # the database may be away for a moment: the next try will do
            log.warning("could not renew the claim on update %d", update_id)


def _redis(application: AnyApplication) -> dict[str, str]:
    """``{"redis": state}`` when Redis is configured, else nothing to check."""
    client = application.bot_data["kelisim"].redis
    if client is None:
        return {}
    try:
        client.ping()
    except Exception as exc:  # report the kind of failure, never the URL
        return {"redis": f"unreachable ({type(exc).__name__})"}
    return {"redis": "ok"}


def create_webhook_app(application: AnyApplication, path: str, secret: str) -> Starlette:
    """The ASGI app that takes Telegram's POSTs at ``/path``."""
    expected = secret.encode()
    engine: Engine = application.bot_data["kelisim"].engine

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(status_code=403)
        try:
            raw = await _read_capped(request, MAX_BODY)
        except _TooLarge:
            log.warning("webhook: body over %d bytes refused", MAX_BODY)
            return Response(status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, application.bot)
        except Exception as exc:  # never log the body: it holds a young person's message
            log.warning("webhook: malformed update refused (%s)", type(exc).__name__)
            return Response(status_code=400)
        if update is None:
            return Response(status_code=400)
        queue = application.update_queue
        journal = queue.journal if isinstance(queue, JournalQueue) else None
        if journal is None or not journal.shared:
            await queue.put(update)
            return Response(status_code=200)
        # Several workers: answer before saying 200, so that an update whose worker
        # dies is sent again by Telegram (to any worker) and a user's next message
        # never overtakes it; one that another worker has is "come back later".
        state = await asyncio.to_thread(journal.claim, update)
        if state == "busy":
            return Response(status_code=503, headers={"Retry-After": "1"})
        if state == "handle":
            keeper = asyncio.create_task(_keep_claim(journal, update.update_id))
            try:
                await application.process_update(update)
            finally:
                keeper.cancel()
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        status, body = await asyncio.to_thread(health, engine, application)
        return JSONResponse(body, status_code=status)

    async def readyz(_: Request) -> Response:
        status, body = await asyncio.to_thread(readiness, engine, application)
        return JSONResponse(body, status_code=status)

    return Starlette(
        routes=[
            Route("/" + path.strip("/"), receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )
