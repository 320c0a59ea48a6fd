"""The scheduler: runs due work once a minute inside `serve` (built in issue 6)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

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
