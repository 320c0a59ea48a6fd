"""The scheduler: `serve` runs the due work (handlers.jobs.run_due) once a minute, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.app import make_web_client
from bot.config import Settings
from bot.runtime import Runtime
from handlers.jobs import IdleGate, RunSummary, run_tick

logger = logging.getLogger(__name__)
TICK_SECONDS = 60.0


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
