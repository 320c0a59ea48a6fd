"""A fake Zoom event WebSocket (`wss://ws.zoom.us/ws?subscriptionId=…&access_token=…`).

It refuses a handshake without the subscription id or with a token the fake Zoom OAuth server
did not issue (401), answers each `{"module":"heartbeat"}` as Zoom does (unless told not to),
records when heartbeats came, and lets tests push events (`{"module":"message","content":…}`)
or any raw frame, close the connection, or cut it as a network failure would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.ws import WsServer, refuse

HEARTBEAT_REPLY = {"module": "heartbeat", "success": True, "content": "live", "header": {}}


class FakeZoomSocket(WsServer):
    """Zoom's WebSocket endpoint, its connections and the heartbeats it received."""

    def __init__(self, token_valid: Callable[[str], bool]) -> None:
        super().__init__(self._connection, self._check)
        self.token_valid = token_valid
        self.subscription_id = "sub-test-1"
        self.answer_heartbeats = True
        self.heartbeats: list[float] = []
        self.tokens: list[str] = []
        self.refused = 0

    @property
    def ws_url(self) -> str:
        """What ZOOM_WEBSOCKET_URL is set to."""
        return f"{self.url}/ws"

    def reset(self) -> None:
        """Forget everything and close every connection (between tests)."""
        with self.changed:
            self.answer_heartbeats = True
            self.heartbeats.clear()
            self.tokens.clear()
            self.refused = 0
        self.close_all()

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until `count` connections were opened in all and one is open."""
        self.wait(lambda: len(self.tokens) >= count and bool(self._live), timeout, f"{count} connection(s)")

    def wait_heartbeats(self, count: int, timeout: float = 10.0) -> None:
        """Block until `count` heartbeats arrived."""
        self.wait(lambda: len(self.heartbeats) >= count, timeout, f"{count} heartbeat(s)")

    def event(self, payload: dict[str, Any]) -> None:
        """Deliver one event as Zoom does: its JSON as a string in a `message` frame."""
        self.raw(json.dumps({"module": "message", "content": json.dumps(payload)}))

    def raw(self, frame: str | bytes) -> None:
        """Send any frame to the newest connection."""
        self.wait_connected()
        self.call(self.newest().send(frame))

    def _check(self, _: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        token = query.get("access_token", "")
        if split.path != "/ws" or query.get("subscriptionId") != self.subscription_id:
            return self._refuse(404, "unknown subscription")
        if not self.token_valid(token):
            return self._refuse(401, "invalid access token")
        with self.changed:
            self.tokens.append(token)
        return None

    def _refuse(self, status: int, reason: str) -> Response:
        with self.changed:
            self.refused += 1
            self.changed.notify_all()
        return refuse(status, reason)

    async def _connection(self, ws: ServerConnection) -> None:
        await ws.send(json.dumps({"module": "build_connection", "success": True, "content": "ok"}))
        async with self.live(ws):
            try:
                async for raw in ws:
                    if json.loads(raw).get("module") == "heartbeat":
                        await self._heartbeat(ws)
            except ConnectionClosed:
                pass

    async def _heartbeat(self, ws: ServerConnection) -> None:
        with self.changed:
            self.heartbeats.append(time.monotonic())
            self.changed.notify_all()
            answer = self.answer_heartbeats
        if answer:
            await ws.send(json.dumps(HEARTBEAT_REPLY))
