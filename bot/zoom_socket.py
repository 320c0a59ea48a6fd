"""Zoom's event WebSocket: the same events as the webhook, over an outbound connection.

Each connection gets a fresh Server-to-Server OAuth token and opens
`ZOOM_WEBSOCKET_URL?subscriptionId=…&access_token=…`. Every `heartbeat` seconds it sends
`{"module":"heartbeat"}`; a heartbeat not answered by the time the next is due, a close or a
network error ends the connection, and the next one is opened after a back-off that only resets
once a connection has proved itself with an answered heartbeat (so a server that accepts and
drops at once is never hammered). Each `{"module":"message","content":"<event JSON>"}` is stored
through the webhook's own path (handlers.zoom_webhook.store_json: same parsing, deduplication
and group commit). A frame it cannot read is logged and skipped. Zoom does not redeliver what
happened while the socket was down: the scheduler's back-fill fills that in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect

from handlers import Deps
from handlers.zoom_events import BadEvent
from handlers.zoom_webhook import store_json

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30.0
OPEN_TIMEOUT = 10.0
FIRST_RETRY, MAX_RETRY = 1.0, 60.0
STORE_TRIES = 3
HEARTBEAT = json.dumps({"module": "heartbeat"})


class MissedHeartbeat(Exception):
    """Zoom did not answer a heartbeat before the next one was due."""


class ZoomSocket:
    """The connection loop; `run` until cancelled, `connected` for /healthz."""

    def __init__(
        self,
        deps: Deps,
        url: str,
        subscription_id: str,
        token: Callable[[], str],
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        first_retry: float = FIRST_RETRY,
    ) -> None:
        self.deps = deps
        self.url = url
        self.subscription_id = subscription_id
        self.token = token
        self.heartbeat = heartbeat
        self.first_retry = first_retry
        self.connected = False
        self.connections = 0
        self._proved = False
        self._stores: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Connect, serve, and reconnect with back-off until cancelled; never raises otherwise."""
        wait = self.first_retry
        try:
            while True:
                self._proved = False
                try:
                    await self._connection()
                    logger.warning("Zoom WebSocket: Zoom closed the connection; reconnecting")
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any failure: log it, back off, reconnect
                    logger.warning("Zoom WebSocket: %s; reconnecting", _why(exc))
                finally:
                    self.connected = False
                wait = self.first_retry if self._proved else min(MAX_RETRY, wait * 2)
                await asyncio.sleep(wait)
        finally:
            await self._drain()

    async def _connection(self) -> None:
        """One connection, from a fresh token to its end."""
        token = await asyncio.to_thread(self.token)  # timed inside (bot.zoom_client.fetch_token)
        query = urlencode({"subscriptionId": self.subscription_id, "access_token": token})
        sep = "&" if "?" in self.url else "?"
        async with connect(
            f"{self.url}{sep}{query}", open_timeout=OPEN_TIMEOUT, ping_interval=None, close_timeout=5
        ) as ws:
            self.connected, self.connections = True, self.connections + 1
            logger.info("Zoom WebSocket: connected (connection %d)", self.connections)
            await self._serve(ws)

    async def _serve(self, ws: ClientConnection) -> None:
        """Read frames and send heartbeats until Zoom closes (ConnectionClosed) or misses one."""
        loop = asyncio.get_running_loop()
        next_beat, waiting = loop.time() + self.heartbeat, False
        while True:
            if loop.time() >= next_beat:
                if waiting:
                    raise MissedHeartbeat(f"no heartbeat answer within {self.heartbeat:g} s")
                await asyncio.wait_for(ws.send(HEARTBEAT), self.heartbeat)
                next_beat, waiting = loop.time() + self.heartbeat, True
            try:
                frame = await asyncio.wait_for(ws.recv(), max(0.0, next_beat - loop.time()))
            except TimeoutError:
                continue
            if self._frame(frame) == "heartbeat":
                waiting, self._proved = False, True

    def _frame(self, frame: str | bytes) -> str:
        """Handle one frame; returns its module ("" when unreadable)."""
        message = _json_object(frame)
        module = message.get("module") if message is not None else None
        if message is None or not isinstance(module, str):
            logger.warning("Zoom WebSocket: skipped a frame it cannot read (%s)", _shape(frame, message))
            return ""
        if module == "heartbeat":
            return "heartbeat"
        if module == "message" and isinstance(message.get("content"), str):
            task = asyncio.get_running_loop().create_task(self._store(message["content"]))
            self._stores.add(task)
            task.add_done_callback(self._stores.discard)
            return "message"
        if module == "build_connection":
            logger.info("Zoom WebSocket: connection built (success=%s)", message.get("success"))
            return "build_connection"
        logger.warning("Zoom WebSocket: skipped a frame it cannot use (%s)", _shape(frame, message))
        return ""

    async def _store(self, content: str) -> None:
        """Store one event like a webhook delivery; a database hiccup is retried, a bad event skipped."""
        for attempt in range(STORE_TRIES):
            try:
                await store_json(self.deps, content.encode("utf-8", "replace"))
                return
            except BadEvent as exc:
                logger.warning("Zoom WebSocket: skipped an event it cannot use (%s)", exc)
                return
            except Exception:
                if attempt == STORE_TRIES - 1:
                    logger.exception("Zoom WebSocket: an event was not stored; the back-fill recovers it")
                    return
                await asyncio.sleep(0.5 * 2**attempt)

    async def _drain(self) -> None:
        """Let the events already received finish storing (shutdown)."""
        if self._stores:
            with contextlib.suppress(Exception):
                await asyncio.wait(set(self._stores), timeout=10)


def _json_object(frame: str | bytes) -> dict[str, Any] | None:
    try:
        loaded = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _shape(frame: str | bytes, message: dict[str, Any] | None) -> str:
    """What a skipped frame looked like, without its content (it may hold names and emails)."""
    kind = "binary" if isinstance(frame, bytes) else "text"
    if message is None:
        return f"{kind}, {len(frame)} bytes, not a JSON object"
    return f"module {str(message.get('module'))[:40]!r}, {len(frame)} bytes"


def _why(exc: Exception) -> str:
    """The failure in a few words, never with the URL (it carries the access token)."""
    if isinstance(exc, MissedHeartbeat):
        return str(exc)
    code = getattr(getattr(exc, "response", None), "status_code", None)
    return f"{type(exc).__name__}{f' (HTTP {code})' if code else ''}: {str(exc)[:200]}"
