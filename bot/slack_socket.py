"""Slack over Socket Mode: the same Bolt app and listeners, reached over an outbound WebSocket.

Bolt's built-in handler (slack_sdk.socket_mode.builtin: no extra dependency) opens the socket
with `apps.connections.open` on the app's own WebClient (SLACK_API_URL, its timeout and retries),
acknowledges each envelope with what the listener's ack() returned, and re-opens the connection
when Slack sends a `disconnect` envelope (it rotates connections every few hours), closes the
socket, or stops answering its pings. What it does not do is retry the very first connection:
`start` does that here, in a background thread, backing off, so `serve` starts even while Slack
cannot be reached.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack_http import MalformedBody, readable

logger = logging.getLogger(__name__)
PING_SECONDS = 10.0  # a connection silent for 4 pings is dropped and re-opened
ENVELOPE_WORKERS = 32  # envelopes dispatched at once (each waits only for its listener's ack)
FIRST_RETRY, MAX_RETRY = 2.0, 60.0


class CheckedHandler(SocketModeHandler):
    """Bolt's handler, refusing an envelope whose payload Bolt or our listeners cannot read.

    Over HTTP such a body gets a 400 (bot/web.py); here it is acknowledged, so Slack does not
    redeliver it, and goes no further: the same check, `bot.slack_http.readable`.
    """

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Check the payload, then let Bolt dispatch it."""
        payload: Any = req.payload
        try:
            if not isinstance(payload, dict):
                raise MalformedBody("the payload is not a JSON object")
            readable(payload, BoltContext())
        except MalformedBody as exc:
            logger.warning("Slack Socket Mode: refused a malformed %s envelope: %s", str(req.type)[:40], exc)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)


class SlackSocket:
    """One Socket Mode connection for the app, kept open until `stop`."""

    def __init__(self, app: App, app_token: str, *, ping_interval: float = PING_SECONDS) -> None:
        self.handler = CheckedHandler(
            app,
            app_token=app_token,
            web_client=app.client,
            ping_interval=ping_interval,
            concurrency=ENVELOPE_WORKERS,
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._connect, name="slack-socket-connect", daemon=True)

    @property
    def connected(self) -> bool:
        """True while a Socket Mode connection is open."""
        return bool(self.handler.client.is_connected())

    def start(self) -> None:
        """Connect in the background; the handler itself reconnects once a first connection was made."""
        self._thread.start()

    def stop(self) -> None:
        """Close the connection and the handler's threads."""
        self._stopping.set()
        self._thread.join(timeout=15)
        self.handler.client.close()

    def _connect(self) -> None:
        """`apps.connections.open` then the WebSocket, retried with back-off until it works or we stop."""
        wait = FIRST_RETRY
        while not self._stopping.is_set():
            try:
                self.handler.client.connect()
            except Exception as exc:  # noqa: BLE001 - Slack unreachable or refusing: say so, try again
                logger.warning("Slack Socket Mode: cannot connect (%s); retrying in %.0f s", _why(exc), wait)
            else:
                state = "connected" if self.connected else "not connected yet; the handler keeps trying"
                logger.info("Slack Socket Mode: %s", state)
                return
            self._stopping.wait(wait)
            wait = min(MAX_RETRY, wait * 2)


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None else None
    return str(error) if error else type(exc).__name__
