"""A fake Slack Socket Mode endpoint: the ws:// URL the fake Web API's `apps.connections.open` hands out.

Like Slack, it greets each connection with `hello`, sends envelopes (`slash_commands`,
`interactive`, `events_api`) to the newest connection, and records each acknowledgement
(`{"envelope_id": …, "payload": …}`) the app sends back. Tests can ask Slack to refresh the
connection (a `disconnect` envelope), close it, or cut it as a network failure would.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.ws import WsServer, refuse


class FakeSlackSocket(WsServer):
    """Socket Mode connections, the envelopes sent and the acknowledgements received."""

    def __init__(self) -> None:
        super().__init__(self._connection, self._check)
        self.tickets: set[str] = set()
        self.opened = 0
        self.acks: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        """Forget acks and close every connection (between tests)."""
        with self.changed:
            self.acks.clear()
            self.tickets.clear()
            self.opened = 0
        self.close_all()

    def ticket_url(self) -> str:
        """A one-use URL for `apps.connections.open` (Slack's carry a ticket too)."""
        ticket = uuid.uuid4().hex
        with self.changed:
            self.tickets.add(ticket)
        return f"{self.url}/link/?ticket={ticket}&app_id=A0APP"

    # -- what a test does ----------------------------------------------------------------
    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until `count` connections have been opened in all (reconnects count)."""
        self.wait(lambda: self.opened >= count and bool(self._live), timeout, f"{count} connection(s)")

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
        self.call(self.newest().send(json.dumps(envelope)))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The acknowledgement of an envelope (what its listener's ack() said)."""
        self.wait(lambda: envelope_id in self.acks, timeout, f"the ack of {envelope_id}")
        return self.acks[envelope_id]

    def refresh(self) -> None:
        """Slack's `disconnect` envelope: the app must open a new connection (rotation)."""
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "fake"}}
        self.call(self.newest().send(json.dumps(message)))

    def close_newest(self, code: int = 1001, reason: str = "going away") -> None:
        """Close the newest connection with a closing handshake."""
        super().close_newest(code, reason)

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
            self.opened += 1
        async with self.live(ws):
            try:
                async for raw in ws:
                    self._received(raw)
            except ConnectionClosed:
                pass

    def _received(self, raw: str | bytes) -> None:
        message = json.loads(raw)
        if isinstance(message, dict) and "envelope_id" in message:
            with self.changed:
                self.acks[str(message["envelope_id"])] = message
                self.changed.notify_all()
