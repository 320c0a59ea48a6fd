"""A WebSocket server on 127.0.0.1:<free port>, in its own thread and event loop (the fakes' base)."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

T = TypeVar("T")
Handler = Callable[[ServerConnection], Awaitable[None]]
Check = Callable[[ServerConnection, Request], Response | None]


class WsServer:
    """Serves `handler` for each connection; `check` may refuse the opening handshake. Keeps the
    open connections (`live`), newest last, and `changed`, notified whenever the fake's state moves."""

    def __init__(self, handler: Handler, check: Check | None = None) -> None:
        self.handler = handler
        self.check = check
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.changed = threading.Condition()
        self._live: list[ServerConnection] = []
        self._server: Server | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        """ws://127.0.0.1:<port>"""
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> WsServer:
        """Start serving; returns self."""
        self._thread.start()
        self._server = self.call(self._serve())
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self) -> Server:
        return await serve(self.handler, "127.0.0.1", 0, process_request=self.check, ping_interval=None)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @asynccontextmanager
    async def live(self, ws: ServerConnection) -> AsyncIterator[None]:
        """While the handler serves `ws`: it is the newest open connection; closed, it is gone."""
        with self.changed:
            self._live.append(ws)
            self.changed.notify_all()
        try:
            yield
        finally:
            with self.changed:
                if ws in self._live:
                    self._live.remove(ws)
                self.changed.notify_all()

    def newest(self) -> ServerConnection:
        """The connection opened last that is still open."""
        with self.changed:
            return self._live[-1]

    def close_newest(self, code: int = 1000, reason: str = "bye") -> None:
        """Close the newest connection with a closing handshake."""
        self.call(self.newest().close(code, reason))

    def cut_newest(self) -> None:
        """Drop the newest connection as a network failure would."""
        self.loop.call_soon_threadsafe(cut, self.newest())

    def close_all(self) -> None:
        """Close every open connection (between tests)."""
        with self.changed:
            live, self._live = list(self._live), []
        for ws in live:
            self.call(ws.close())

    def wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Block until `ready()` holds (checked whenever `changed` is notified), or fail the test."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.changed.wait(min(left, 0.05))

    def stop(self) -> None:
        """Close every connection and the listening socket."""
        if self._server is not None:
            self._server.close()
            self.call(self._server.wait_closed())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


def refuse(status: int, reason: str) -> Response:
    """A handshake refusal with a JSON body."""
    body = json.dumps({"error": reason}).encode()
    return Response(status, reason, Headers([("Content-Type", "application/json")]), body)


def cut(ws: ServerConnection) -> None:
    """Drop the TCP connection as a network failure would: a reset, no closing handshake."""
    sock = ws.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.transport.abort()
