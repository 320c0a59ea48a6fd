"""A fake Slack Socket Mode endpoint: the ws:// URL the fake Web API's `apps.connections.open` hands out.

Like Slack, it greets each connection with `hello`, sends envelopes (`slash_commands`,
`interactive`, `events_api`) to the newest connection, and records each acknowledgement
(`{"envelope_id": …, "payload": …}`) the app sends back. Tests can ask Slack to refresh the
connection (a `disconnect` envelope), close it, or cut it as a network failure would.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.ws import WsServer, cut, refuse


class FakeSlackSocket(WsServer):
    """Socket Mode connections, the envelopes sent and the acknowledgements received."""

    def __init__(self) -> None:
        super().__init__(self._connection, self._check)
        self.tickets: set[str] = set()
        self.opened = 0
        self.acks: dict[str, dict[str, Any]] = {}
        self.changed = threading.Condition()
        self._live: list[ServerConnection] = []

    def reset(self) -> None:
        """Forget acks and close every connection (between tests)."""
        with self.changed:
            self.acks.clear()
            self.tickets.clear()
            self.opened = 0
            live, self._live = list(self._live), []
        for ws in live:
            self.call(ws.close())

    def ticket_url(self) -> str:
        """A one-use URL for `apps.connections.open` (Slack's carry a ticket too)."""
        ticket = uuid.uuid4().hex
        with self.changed:
            self.tickets.add(ticket)
        return f"{self.url}/link/?ticket={ticket}&app_id=A0APP"

    # -- what a test does ----------------------------------------------------------------
    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until `count` connections have been opened in all (reconnects count)."""
        self._wait(lambda: self.opened >= count and bool(self._live), timeout, f"{count} connection(s)")

    def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None) -> str:
        """Send one envelope to the newest connection; returns its envelope_id."""
        self.wait_connected()
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "payload": payload,
        }
        if retry_attempt is not None:
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": "timeout"}
        with self.changed:
            ws = self._live[-1]
        self.call(ws.send(json.dumps(envelope)))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The acknowledgement of an envelope (what its listener's ack() said)."""
        self._wait(lambda: envelope_id in self.acks, timeout, f"the ack of {envelope_id}")
        return self.acks[envelope_id]

    def refresh(self) -> None:
        """Slack's `disconnect` envelope: the app must open a new connection (rotation)."""
        with self.changed:
            ws = self._live[-1]
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}}
        self.call(ws.send(json.dumps(message)))

    def close_newest(self) -> None:
        """Close the newest connection with a closing handshake."""
        with self.changed:
            ws = self._live[-1]
        self.call(ws.close(1001, "going away"))

    def cut_newest(self) -> None:
        """Drop the newest connection as a network failure would."""
        with self.changed:
            ws = self._live[-1]
        self.loop.call_soon_threadsafe(cut, ws)

    # -- the server ----------------------------------------------------------------------
    def _check(self, _: ServerConnection, request: Request) -> Response | None:
        ticket = request.path.partition("ticket=")[2].partition("&")[0]
        with self.changed:
            if ticket not in self.tickets:
                return refuse(401, "invalid or used ticket")
            self.tickets.discard(ticket)
        return None

    async def _connection(self, ws: ServerConnection) -> None:
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}
        await ws.send(json.dumps(hello))
        with self.changed:
            self._live.append(ws)
            self.opened += 1
            self.changed.notify_all()
        try:
            async for raw in ws:
                self._received(raw)
        except ConnectionClosed:
            pass
        finally:
            with self.changed:
                if ws in self._live:
                    self._live.remove(ws)
                self.changed.notify_all()

    def _received(self, raw: str | bytes) -> None:
        message = json.loads(raw)
        if isinstance(message, dict) and "envelope_id" in message:
            with self.changed:
                self.acks[str(message["envelope_id"])] = message
                self.changed.notify_all()

    def _wait(self, ready: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.changed.wait(min(left, 0.05))
