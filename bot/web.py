"""The ASGI app: /slack/events (Bolt), /zoom/webhook, /healthz; the lifespan owns the scheduler
and the outbound connections (Slack's Socket Mode, Zoom's event WebSocket) when they are configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.app import LISTENER_THREADS, build_slack_app
from bot.config import (
    SLACK_HOWTO,
    SLACK_SOCKET_ROUTE,
    ZOOM_API_HOWTO,
    ZOOM_SOCKET_HOWTO,
    ZOOM_WEBHOOK_HOWTO,
    Settings,
)
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.slack_http import MalformedBody, SlackRequest, verified
from bot.slack_socket import PING_SECONDS, SlackSocket
from bot.zoom_client import API_TIMEOUT, fetch_token
from bot.zoom_http import ZOOM_PATH, BodyTooLarge, ZoomWebhook, read_body, too_large
from bot.zoom_socket import FIRST_RETRY, HEARTBEAT_SECONDS, ZoomSocket
from bot.zoom_writer import ZoomWriter
from storage.db import writable

logger = logging.getLogger(__name__)
SHUTDOWN_DRAIN_SECONDS = 10.0
Tick = Callable[[], Awaitable[None]]


class BotApp(Starlette):
    """Starlette, except that a Zoom delivery goes straight to ZoomWebhook, past the middleware
    stack and the router (a tenth of a delivery's cost; README "Benchmarks")."""

    def __init__(self, zoom: ZoomWebhook, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zoom = zoom

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] == "http" and scope["path"] == ZOOM_PATH and scope["method"] == "POST":
            await self.zoom(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class Connections:
    """The outbound connections `serve` keeps open, started and stopped by the lifespan."""

    def __init__(self, slack: SlackSocket | None, zoom: ZoomSocket | None) -> None:
        self.slack, self.zoom = slack, zoom
        self._zoom_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Open them in the background: neither waits for the other, nor holds up start-up."""
        if self.slack is not None:
            self.slack.start()
        if self.zoom is not None:
            self._zoom_task = asyncio.get_running_loop().create_task(self.zoom.run())

    async def stop(self) -> None:
        """Close them; events already received from Zoom finish storing."""
        if self._zoom_task is not None:
            self._zoom_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._zoom_task
        if self.slack is not None:
            await run_in_threadpool(self.slack.stop)

    def health(self, settings: Settings) -> dict[str, Any]:
        """Which transport each platform uses, and whether its socket is open."""
        out: dict[str, Any] = {"slack": slack_transport(settings), "zoom": zoom_transport(settings)}
        if self.slack is not None:
            out["slack_connected"] = self.slack.connected
        if self.zoom is not None:
            out["zoom_connected"] = self.zoom.connected
        return out


def slack_transport(settings: Settings) -> str:
    """`socket`, `http` or `off`: how Slack reaches the bot."""
    if settings.slack_socket_mode:
        return "socket"
    return "http" if settings.slack_configured else "off"


def zoom_transport(settings: Settings) -> str:
    """`websocket`, `webhook`, both (`websocket+webhook`) or `off`: how Zoom's events arrive."""
    ways = {"websocket": settings.zoom_socket_configured, "webhook": settings.zoom_webhook_configured}
    return "+".join(name for name, on in ways.items() if on) or "off"


def connections(
    runtime: Runtime,
    slack_app: App | None,
    *,
    slack_ping: float = PING_SECONDS,
    zoom_heartbeat: float = HEARTBEAT_SECONDS,
    zoom_retry: float = FIRST_RETRY,
    zoom_timeout: float = API_TIMEOUT,
) -> Connections:
    """The sockets the settings ask for (none without an app-level token or a subscription id)."""
    settings = runtime.settings
    slack = None
    if slack_app is not None and settings.slack_socket_mode and settings.slack_app_token:
        slack = SlackSocket(slack_app, settings.slack_app_token, ping_interval=slack_ping)
    zoom = None
    if settings.zoom_socket_configured and settings.zoom_websocket_subscription_id:
        zoom = ZoomSocket(
            runtime.deps,
            settings.zoom_websocket_url,
            settings.zoom_websocket_subscription_id,
            lambda: fetch_token(settings, zoom_timeout),
            heartbeat=zoom_heartbeat,
            first_retry=zoom_retry,
        )
    return Connections(slack, zoom)


def create_app(
    runtime: Runtime,
    *,
    slack_app: App | None = None,
    scheduler_tick: Tick | None = None,
    backfill_tick: Tick | None = None,
    sockets: Callable[[Runtime, App | None], Connections] = connections,
    log_integrations: bool = True,
    zoom_writer: bool = False,
) -> Starlette:
    """Assemble the routes; unconfigured integrations answer 503 with how to configure them.

    `sockets` builds the outbound connections when the lifespan starts (tests pass shorter timings);
    the playground's inner app passes `log_integrations=False`, so the start-up log describes only
    the real bot's set-up. `serve` passes `zoom_writer=True`: with Zoom configured, deliveries
    are stored by a writer process of their own (bot/zoom_writer.py), started and stopped here.
    """
    settings = runtime.settings
    if slack_app is None and settings.slack_configured:
        slack_app = build_slack_app(settings, runtime.deps)
    if log_integrations:
        _log_integrations(runtime)
    live: list[Connections] = []
    writers: list[ZoomWriter] = []
    # Bolt's dispatch holds a thread until the listener acks: one per student of a burst, as for the
    # listeners (Starlette's default pool has 40 threads)
    dispatchers = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="slack-dispatch")

    async def healthz(_: Request) -> JSONResponse:
        ok = await run_in_threadpool(writable, runtime.engine)
        body = {"ok": ok, **(live[0].health(settings) if live else {})}
        if writers:  # whether serve's Zoom writer process is up (it restarts on the next delivery)
            body["zoom_writer_running"] = writers[0].running
        return JSONResponse(body, status_code=200 if ok else 503)

    async def slack_events(request: Request) -> Response:
        if settings.slack_socket_mode:  # requests are verified only over HTTP: this route stays shut
            return JSONResponse({"error": SLACK_SOCKET_ROUTE}, status_code=503)
        if slack_app is None:
            return JSONResponse({"error": SLACK_HOWTO}, status_code=503)
        with runtime.deps.acks.pending():
            return await _dispatch(slack_app, request)

    async def _dispatch(slack_app: App, request: Request) -> Response:
        body = await read_body(request)
        headers = dict(request.headers)  # the first value of each header, for our check and Bolt's alike
        if not verified(settings.slack_signing_secret or "", headers, body):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            bolt_request = SlackRequest(body=body.decode("utf-8"), query=request.url.query, headers=headers)
        except MalformedBody as exc:
            return JSONResponse({"error": f"malformed Slack request body: {exc}"}, status_code=400)
        loop = asyncio.get_running_loop()
        bolt_response = await loop.run_in_executor(dispatchers, slack_app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        schedulers = [Scheduler(tick) for tick in (scheduler_tick, backfill_tick) if tick is not None]
        for scheduler in schedulers:
            scheduler.start()
        zoom_on = settings.zoom_webhook_configured or settings.zoom_socket_configured
        writer = ZoomWriter(settings) if zoom_writer and zoom_on else None
        if writer is not None:
            await writer.start()
            runtime.deps.zoom.use(writer.store)
            writers.append(writer)
        live.append(sockets(runtime, slack_app))
        live[0].start()
        try:
            yield
        finally:
            await live[0].stop()
            if writer is not None:  # after the sockets: events they received are stored first
                runtime.deps.zoom.use(None)
                await writer.stop()
            for scheduler in schedulers:
                await scheduler.stop()
            # the last tally edit and the last vote count land before the process goes
            await run_in_threadpool(runtime.deps.drain, SHUTDOWN_DRAIN_SECONDS)

    zoom = ZoomWebhook(runtime)
    return BotApp(
        zoom,
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/slack/events", slack_events, methods=["POST"]),
            Route(ZOOM_PATH, zoom, methods=["POST"]),  # when mounted (the playground's /bot), and 405s
        ],
        lifespan=lifespan,
        exception_handlers={BodyTooLarge: too_large},
    )


def _log_integrations(runtime: Runtime) -> None:
    settings = runtime.settings
    logger.info("course %r: %d weeks", runtime.course.name, len(runtime.course.weeks))
    slack, zoom = slack_transport(settings), zoom_transport(settings)
    if slack == "socket":
        logger.info("Slack: Socket Mode (SLACK_APP_TOKEN is set): no public URL; /slack/events is not used")
    elif slack == "http":
        logger.info("Slack: HTTP, requests to /slack/events verified with SLACK_SIGNING_SECRET")
    else:
        logger.warning(SLACK_HOWTO)
    if zoom != "off":
        logger.info("Zoom events: %s", " and ".join(_ZOOM_WAYS[way] for way in zoom.split("+")))
    else:
        logger.warning(ZOOM_WEBHOOK_HOWTO)
    if settings.zoom_websocket_subscription_id and not settings.zoom_socket_configured:
        logger.warning(ZOOM_SOCKET_HOWTO)
    if not settings.zoom_api_configured:
        logger.info(ZOOM_API_HOWTO)


_ZOOM_WAYS = {
    "websocket": "Zoom's event WebSocket (ZOOM_WEBSOCKET_SUBSCRIPTION_ID)",
    "webhook": "the webhook at /zoom/webhook",
}
