"""Request bodies under a size limit, and the Zoom webhook's route as a bare ASGI app."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from bot.config import ZOOM_WEBHOOK_HOWTO
from bot.runtime import Runtime
from handlers.zoom import webhook as zoom_webhook

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000


class BodyTooLarge(Exception):
    """The request body exceeds MAX_BODY_BYTES."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the raw body, refusing anything over `limit` before reading it all."""
    return await _read_limited(request.headers.get("content-length"), request.stream(), limit)


async def _read_limited(declared: str | None, stream: AsyncIterable[bytes], limit: int) -> bytes:
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


TOO_LARGE = {"error": f"request body over {MAX_BODY_BYTES} bytes"}


async def too_large(_: Request, __: Exception) -> JSONResponse:
    """Every route's answer to BodyTooLarge: 413 with a reason."""
    return JSONResponse(TOO_LARGE, status_code=413)


ZOOM_PATH = "/zoom/webhook"


class ZoomWebhook:
    """POST /zoom/webhook as a bare ASGI app: 200 once stored, 503 when storage fails (Zoom retries).

    No Request object, endpoint wrapper or response class per delivery: on the hottest route they
    cost as much as verifying and parsing the event (README "Benchmarks").
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one delivery."""
        secret = self.runtime.settings.zoom_webhook_secret_token
        if not secret:
            await _send_json(send, 503, {"error": ZOOM_WEBHOOK_HOWTO})
            return
        headers: dict[str, str] = {}  # the first value of each header, as Starlette's Headers gives it
        for key, value in scope["headers"]:
            headers.setdefault(key.decode("latin-1"), value.decode("latin-1"))
        try:
            body = await _read_limited(headers.get("content-length"), _chunks(receive), MAX_BODY_BYTES)
        except BodyTooLarge:
            await _send_json(send, 413, TOO_LARGE)
            return
        try:
            reply = await zoom_webhook.receive(self.runtime.deps, secret, headers, body)
        except Exception:
            logger.exception("Zoom webhook failed; answering 503 so Zoom retries")
            reply = zoom_webhook.WebhookReply(503, {"error": "temporarily unavailable"})
        await _send_json(send, reply.status, reply.body, reply.headers)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body as the server hands it over: what `Request.stream()` yields, without a Request."""
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise ClientDisconnect
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one encoder, not one per reply


_NO_BODY = [(b"content-length", b"0")]


async def _send_json(
    send: Send, status: int, content: dict[str, Any] | None, extra: tuple[tuple[str, str], ...] = ()
) -> None:
    """What a JSONResponse sends, without building one; no body at all when `content` is None."""
    body = b"" if content is None else _JSON.encode(content).encode()
    if content is None:
        headers = list(_NO_BODY)
    else:
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    headers += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})  # uvicorn writes nothing for b""
