"""The ASGI app: /slack/events (Bolt), /zoom/webhook, /healthz; the lifespan owns the scheduler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import build_slack_app
from bot.config import SLACK_HOWTO, ZOOM_API_HOWTO, ZOOM_WEBHOOK_HOWTO
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from handlers import tally, zoom_webhook
from storage.db import ping

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000
SHUTDOWN_DRAIN_SECONDS = 10.0


class BodyTooLarge(Exception):
    """The request body exceeds MAX_BODY_BYTES."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the raw body, refusing anything over `limit` before reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def too_large(_: Request, __: Exception) -> JSONResponse:
    """Every route's answer to BodyTooLarge: 413 with a reason."""
    return JSONResponse({"error": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)


def create_app(
    runtime: Runtime,
    *,
    slack_app: App | None = None,
    scheduler_tick: Callable[[], Awaitable[None]] | None = None,
) -> Starlette:
    """Assemble the routes; unconfigured integrations answer 503 with how to configure them."""
    settings = runtime.settings
    if slack_app is None and settings.slack_configured:
        slack_app = build_slack_app(settings, runtime.deps)
    _log_integrations(runtime)

    async def healthz(_: Request) -> JSONResponse:
        ok = await run_in_threadpool(ping, runtime.engine)
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    async def slack_events(request: Request) -> Response:
        if slack_app is None:
            return JSONResponse({"error": SLACK_HOWTO}, status_code=503)
        body = await read_body(request)
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception:  # noqa: BLE001 - Bolt parses before it verifies; garbage must not be a 500
            return JSONResponse({"error": "malformed Slack request body"}, status_code=400)
        bolt_response = await run_in_threadpool(slack_app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    async def zoom_events(request: Request) -> Response:
        secret = settings.zoom_webhook_secret_token
        if not secret:
            return JSONResponse({"error": ZOOM_WEBHOOK_HOWTO}, status_code=503)
        body = await read_body(request)
        try:
            reply = await zoom_webhook.receive(runtime.deps, secret, dict(request.headers), body)
        except Exception:
            logger.exception("Zoom webhook failed; answering 503 so Zoom retries")
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503)
        return JSONResponse(reply.body, status_code=reply.status)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        scheduler = Scheduler(scheduler_tick) if scheduler_tick else None
        if scheduler:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler:
                await scheduler.stop()
            await run_in_threadpool(tally.drain, SHUTDOWN_DRAIN_SECONDS)  # the last tally edit lands

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/zoom/webhook", zoom_events, methods=["POST"]),
        ],
        lifespan=lifespan,
        exception_handlers={BodyTooLarge: too_large},
    )


def _log_integrations(runtime: Runtime) -> None:
    settings = runtime.settings
    logger.info("course %r: %d weeks", runtime.course.name, len(runtime.course.weeks))
    if not settings.slack_configured:
        logger.warning(SLACK_HOWTO)
    if not settings.zoom_webhook_configured:
        logger.warning(ZOOM_WEBHOOK_HOWTO)
    if not settings.zoom_api_configured:
        logger.info(ZOOM_API_HOWTO)
