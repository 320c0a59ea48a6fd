"""The scheduler: `serve` runs the due work (handlers/schedule/jobs.py) and the Zoom back-fill once a minute.

Each runs in its own loop and its own worker thread, off the event loop, so a Zoom that stops
answering never holds up Slack's messages, nor the other way round; every call either makes has
a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.app import make_web_client
from bot.config import Settings
from bot.runtime import Runtime
from bot.zoom_client import make_zoom_api
from handlers.schedule.jobs import IdleGate, RunSummary, run_tick
from handlers.zoom.api import ZoomApi
from handlers.zoom.autobackfill import BackfillRun, run_backfill
from storage.outbox import runner_id

logger = logging.getLogger(__name__)
TICK_SECONDS = 60.0
ZOOM_TIMEOUT = 20  # seconds for one Zoom request made by the scheduler
ZOOM_MAX_WAIT = 5.0  # a longer 429 wait is left to the next tick


class Scheduler:
    """Calls `tick` every minute until stopped; a failing tick is logged, never fatal."""

    def __init__(self, tick: Callable[[], Awaitable[None]], interval: float = TICK_SECONDS) -> None:
        self.tick = tick
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the loop and wait for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("scheduled run failed; will try again next minute")
            await asyncio.sleep(self.interval)


def scheduler_client(settings: Settings) -> WebClient:
    """The app's Slack client minus its 429 retries: run_due paces itself and waits out 429s."""
    client = make_web_client(settings)
    handlers = client.retry_handlers
    client.retry_handlers = [h for h in handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    return client


class DueTick:
    """One scheduler tick: run_due at the runtime's clock, in a worker thread off the event loop."""

    def __init__(self, runtime: Runtime, client: WebClient) -> None:
        self.runtime = runtime
        self.client = client
        self.stopping = threading.Event()
        self.gate = IdleGate()

    async def __call__(self) -> None:
        """Run once; if the server stops meanwhile, the run stops after its current message."""
        try:
            await asyncio.to_thread(self.run_once)
        except asyncio.CancelledError:
            self.stopping.set()
            raise

    def run_once(self) -> RunSummary | None:
        """What `jobs run-due` does, at the current instant; None when provably nothing is new."""
        rt = self.runtime
        return run_tick(rt.deps, self.client, rt.clock(), gate=self.gate, stop=self.stopping)


def due_tick(runtime: Runtime) -> DueTick | None:
    """The tick `serve` runs every minute, or None (logged) when Slack is not configured."""
    if not runtime.settings.slack_configured:
        logger.warning("scheduler idle: prompts, reminders and notices need Slack configured")
        return None
    return DueTick(runtime, scheduler_client(runtime.settings))


class BackfillTick:
    """One back-fill tick: every due part from Zoom's participant report, in a worker thread."""

    def __init__(self, runtime: Runtime, timeout: int = ZOOM_TIMEOUT) -> None:
        self.runtime = runtime
        self.timeout = timeout

    async def __call__(self) -> None:
        """Run once off the event loop; a stalled Zoom times out inside, never here."""
        await asyncio.to_thread(self.run_once)

    def run_once(self, now: datetime | None = None) -> BackfillRun:
        """What `jobs run-due` back-fills, at `now` (the current instant by default)."""
        rt = self.runtime
        return run_backfill(rt.deps, self.connect, now or rt.clock(), owner=runner_id())

    def connect(self) -> ZoomApi:
        """The Zoom API with a fresh token; every request timed."""
        return make_zoom_api(self.runtime.settings, timeout=self.timeout, max_wait=ZOOM_MAX_WAIT)


def backfill_tick(runtime: Runtime) -> BackfillTick | None:
    """The back-fill `serve` runs every minute, or None when the Server-to-Server OAuth app is not set."""
    return BackfillTick(runtime) if runtime.settings.zoom_api_configured else None
