"""An OpenAI-compatible chat endpoint serving the full engine.

``POST /v1/chat/completions`` answers the last user message with the earlier
messages as history, in the OpenAI response shape (streaming as server-sent
events in the chunk format). The engine's decision, category and sources come
back in an extra top-level ``kelisim`` object, so any OpenAI client (or garak)
can talk to the bot and a reviewer can still see what the policy decided.

The cost of one request is bounded before any of it is spent: bodies over
:data:`MAX_BODY` are refused from their declared length (or as soon as they
grow past it), at most 100 messages are accepted and only the last few turns
are read, ``settings.serve_concurrency`` answers are computed at once, and a
request whose client has gone away is dropped rather than answered. With
``KELISIM_API_KEY`` set, ``/v1/*`` needs ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.engine import Engine
from bot.errors import KelisimError
from bot.models import Question, Reply, Turn
from bot.server.schemas import MODEL_ID, ChatRequest

log = logging.getLogger(__name__)

# Streamed replies are cut after whitespace into pieces of about this many characters.
STREAM_PIECE_CHARS = 48
# A question with its history is a few kilobytes; this leaves room and stops abuse.
MAX_BODY = 512 * 1024
# How often a waiting request checks whether its client is still there.
DISCONNECT_POLL = 0.25


class BodyLimit:
    """ASGI middleware: 413 for bodies over ``limit`` bytes, before they are read."""

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await _too_large(send)
            return
        # Read the body here, up to the limit, then hand it on whole.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.limit:
                await _too_large(send)
                return
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replayed() -> Any:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)


async def _too_large(send: Any) -> None:
    error = APIError(413, f"request body over {MAX_BODY} bytes", code="body_too_large")

    async def nothing() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await error.response()({"type": "http"}, nothing, send)


class APIError(Exception):
    """An error returned to the client in OpenAI's ``{"error": {...}}`` shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = (
            status,
            message,
            type_,
            param,
            code,
        )

    def response(self) -> JSONResponse:
        return JSONResponse(
            status_code=self.status,
            content={
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                }
            },
        )


def question_from(request: ChatRequest, history_turns: int) -> Question:
    """The last message is the question; earlier user and assistant messages are history."""
    if request.n != 1:
        raise APIError(400, "only n=1 is supported", param="n")
    try:
        texts = [(m.role, m.text()) for m in request.messages]
    except ValueError as exc:
        raise APIError(400, str(exc), param="messages") from exc
    role, text = texts[-1]
    if role != "user":
        raise APIError(400, "the last message must come from the user", param="messages")
    if not text.strip():
        raise APIError(400, "the last message is empty", param="messages")
    turns = [Turn(r, t) for r, t in texts[:-1] if r in ("user", "assistant") and t.strip()]
    kept = tuple(turns[-history_turns:]) if history_turns else ()
    return Question(text, history=kept)


def kelisim_block(reply: Reply) -> dict[str, Any]:
    return {
        "decision": reply.decision.value,
        "category": reply.category,
        "language": reply.language,
        "topic": reply.topic,
        "sources": [s.as_dict() for s in reply.sources],
        "generator": reply.generator,
        "latency_ms": round(reply.latency_ms, 1),
    }


def completion(reply: Reply, completion_id: str, created: int) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": reply.text},
            }
        ],
        "kelisim": kelisim_block(reply),
    }


def pieces(text: str, size: int = STREAM_PIECE_CHARS) -> Iterator[str]:
    """``text`` in pieces that end after whitespace; joined they give ``text`` back."""
    start = 0
    for match in re.finditer(r"\s+", text):
        if match.end() - start >= size:
            yield text[start : match.end()]
            start = match.end()
    if start < len(text):
        yield text[start:]


def chunks(reply: Reply, completion_id: str, created: int) -> Iterator[dict[str, Any]]:
    """The reply as OpenAI ``chat.completion.chunk`` objects; the last one carries ``kelisim``."""

    def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces(reply.text):
        yield chunk({"content": piece})
    yield {**chunk({}, "stop"), "kelisim": kelisim_block(reply)}


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="Kelisim", version="1", docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit)
    api_key = engine.settings.api_key.get_secret_value() if engine.settings.api_key else ""
    answering = asyncio.Semaphore(engine.settings.serve_concurrency)

    def authorise(request: Request) -> None:
        if not api_key:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
            raise APIError(
                401,
                "Incorrect API key: send Authorization: Bearer <KELISIM_API_KEY>.",
                type_="authentication_error",
                code="invalid_api_key",
            )

    async def answer_while_connected(raw: Request, question: Question) -> Reply | None:
        """The engine's reply, or None when the client left before it was ready."""
        async with answering:
            if await raw.is_disconnected():
                return None
            work = asyncio.ensure_future(asyncio.to_thread(engine.answer, question))
            while True:
                done, _ = await asyncio.wait({work}, timeout=DISCONNECT_POLL)
                if done:
                    return work.result()
                if await raw.is_disconnected():
                    log.info("client went away: its answer is dropped")
                    # The thread cannot be stopped, but its cost is bounded; the
                    # slot is freed once it ends.
                    await asyncio.wait({work})
                    return None

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = [str(p) for p in first.get("loc", ()) if p != "body"]
        message = f"{'.'.join(where) or 'body'}: {first.get('msg', 'invalid request')}"
        return APIError(400, message, param=where[0] if where else None).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else None
        return APIError(exc.status_code, str(exc.detail), code=code).response()

    @app.exception_handler(KelisimError)
    async def _engine_error(_: Request, exc: KelisimError) -> JSONResponse:
        return APIError(503, str(exc), type_="server_error").response()

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Every dependency's real state: 200 only when all are ok."""
        checks = await asyncio.to_thread(engine.health)
        ok = all(v == "ok" for v in checks.values())
        body: dict[str, Any] = {
            "status": "ok" if ok else "degraded",
            "checks": checks,
            "generator": engine.settings.generator,
        }
        try:
            generation = await asyncio.to_thread(lambda: engine.retriever.generation)
            body["documents"] = generation.documents
            body["index_built_at"] = generation.built_at
        except KelisimError:
            pass
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """200 when answers can be given now (from the index generation in memory)."""
        ready = await asyncio.to_thread(engine.ready)
        return JSONResponse(
            {"status": "ready" if ready else "not ready"}, status_code=200 if ready else 503
        )

    @app.get("/v1/models", dependencies=[Depends(authorise)])
    async def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "kelisim"}],
        }

    @app.post("/v1/chat/completions", response_model=None, dependencies=[Depends(authorise)])
    async def chat_completions(
        request: ChatRequest, raw: Request
    ) -> Response | JSONResponse | StreamingResponse:
        if request.model != MODEL_ID:
            raise APIError(
                404,
                f"The model `{request.model}` does not exist; use `{MODEL_ID}`.",
                param="model",
                code="model_not_found",
            )
        question = question_from(request, engine.settings.history_turns)
        reply = await answer_while_connected(raw, question)
        if reply is None:
            return Response(status_code=499)  # nginx's "client closed request"
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if not request.stream:
            return JSONResponse(completion(reply, completion_id, created))

        async def events() -> AsyncIterator[str]:
            for item in chunks(reply, completion_id, created):
                yield f"data: {json.dumps(item, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return app
