"""Sign requests exactly as Slack and Zoom do: HMAC-SHA256 over `v0:{ts}:{raw body}`."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SLACK_SECRET = "slack-signing-secret-for-tests"
ZOOM_SECRET = "zoom-webhook-secret-for-tests"


def _sign(secret: str, ts: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return "v0=" + mac.hexdigest()


def slack_headers(
    body: bytes,
    *,
    secret: str = SLACK_SECRET,
    ts: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack sends with a signed request."""
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": _sign(secret, stamp, body),
    }


def zoom_headers(body: bytes, *, secret: str = ZOOM_SECRET, ts: int | None = None) -> dict[str, str]:
    """Headers Zoom sends with a signed webhook."""
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": _sign(secret, stamp, body),
    }


def slash_body(
    command: str,
    text: str,
    *,
    user_id: str,
    response_url: str,
    channel_id: str = "C0CLASS",
    trigger_id: str | None = None,
    channel_name: str = "class",
    user_name: str | None = None,
) -> bytes:
    """A slash-command form body shaped like Slack's (see shared/samples/slack)."""
    fields = {
        "token": "verification_token",
        "team_id": "T0TEAM",
        "team_domain": "seminar",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_id.lower() if user_name is None else user_name,
        "command": command,
        "text": text,
        "api_app_id": "A0APP",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{time.time_ns()}.1.abc",
    }
    return urlencode(fields).encode()


def payload_body(payload: dict[str, Any]) -> bytes:
    """An interactivity body: `payload=<json>` form-encoded, as Slack sends it."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict[str, Any], *, event_id: str = "Ev0001") -> bytes:
    """An Events API `event_callback` JSON body."""
    envelope = {
        "token": "verification_token",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
    }
    return json.dumps(envelope).encode()
