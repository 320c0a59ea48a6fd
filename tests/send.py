"""Send Slack's deliveries (commands, actions, modal submissions, events) to the live app.

Over HTTP they are signed requests to /slack/events; when the live app runs over Socket Mode
the same body goes as an envelope on the fake Slack's WebSocket, and the answer is the app's
acknowledgement, read back like an HTTP response.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

from tests.signing import event_body, payload_body, slack_headers, slash_body


class Reply(Protocol):
    """What the app answered: an httpx.Response, or a SocketReply."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


@dataclass(frozen=True)
class SocketReply:
    """A Socket Mode acknowledgement, shaped like the HTTP response Bolt would have given."""

    payload: dict[str, Any] | None
    status_code: int = 200

    @property
    def text(self) -> str:
        """Bolt sends a plain-text ack as {"text": …}; anything else was JSON over HTTP."""
        if not self.payload:
            return ""
        if set(self.payload) == {"text"}:
            return str(self.payload["text"])
        return json.dumps(self.payload)

    def json(self) -> Any:
        """The acknowledgement's payload."""
        return self.payload


def signed(
    live: Any, body: bytes, *, content_type: str = "application/x-www-form-urlencoded", **headers: str
) -> Reply:
    """POST a body to /slack/events, signed as Slack signs it, plus any extra headers (or, over
    Socket Mode, send it as an envelope, a retry header becoming the envelope's retry_attempt)."""
    if getattr(live, "transport", "http") == "socket":
        return _over_socket(live, body, content_type, headers)
    all_headers = {**slack_headers(body, content_type=content_type), **headers}
    return live.http.post("/slack/events", content=body, headers=all_headers)  # type: ignore[no-any-return]


def _over_socket(live: Any, body: bytes, content_type: str, headers: dict[str, str]) -> SocketReply:
    """The envelope Slack sends for this body over Socket Mode, and the app's acknowledgement."""
    text = body.decode()
    if content_type.startswith("application/json"):
        kind, payload = "events_api", json.loads(text)
    else:
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        if set(form) == {"payload"}:
            kind, payload = "interactive", json.loads(form["payload"])
        else:
            kind, payload = "slash_commands", form
    retry = headers.get("x-slack-retry-num")
    envelope_id = live.slack.socket.send(kind, payload, retry_attempt=int(retry) if retry else None)
    return SocketReply(live.slack.socket.wait_ack(envelope_id).get("payload"))


def slash(live: Any, command: str, text: str, user_id: str, **kw: Any) -> Reply:
    """A slash command whose response_url points at the fake Slack."""
    return signed(live, slash_body(command, text, user_id=user_id, response_url=live.response_url, **kw))


def action(live: Any, user_id: str, action_id: str, value: str, **extra: Any) -> Reply:
    """A block_actions click on a button in a bot message (shaped like samples/slack)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user_id},
        "api_app_id": "A0APP",
        "team": {"id": "T0TEAM"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "D0DM", "is_ephemeral": False},
        "channel": {"id": "D0DM"},
        "message": {"ts": "1.2", "text": "prompt", "blocks": []},
        "trigger_id": f"{time.time_ns()}.1.act",
        "response_url": live.response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": extra.pop("block_id", "b1"),
                "value": value,
                "type": "button",
                "action_ts": "1.3",
            }
        ],
        **extra,
    }
    return signed(live, payload_body(payload))


def submit_view(
    live: Any, user_id: str, callback_id: str, metadata: str, values: dict[str, Any]
) -> Reply:
    """A view_submission of a modal (shaped like samples/slack)."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": user_id},
        "api_app_id": "A0APP",
        "trigger_id": f"{time.time_ns()}.1.view",
        "view": {
            "id": "V0VIEW",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
            "hash": "h1",
        },
        "response_urls": [],
    }
    return signed(live, payload_body(payload))


def event(live: Any, inner: dict[str, Any], event_id: str = "Ev0001", **headers: str) -> Reply:
    """An Events API delivery."""
    return signed(live, event_body(inner, event_id=event_id), content_type="application/json", **headers)
