"""Send signed Slack requests (commands, actions, modal submissions, events) to the live app."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.signing import event_body, payload_body, slack_headers, slash_body


def signed(
    live: Any, body: bytes, *, content_type: str = "application/x-www-form-urlencoded", **headers: str
) -> httpx.Response:
    """POST a body to /slack/events, signed as Slack signs it, plus any extra headers."""
    all_headers = {**slack_headers(body, content_type=content_type), **headers}
    return live.http.post("/slack/events", content=body, headers=all_headers)  # type: ignore[no-any-return]


def slash(live: Any, command: str, text: str, user_id: str, **kw: Any) -> httpx.Response:
    """A slash command whose response_url points at the fake Slack."""
    return signed(live, slash_body(command, text, user_id=user_id, response_url=live.response_url, **kw))


def action(live: Any, user_id: str, action_id: str, value: str, **extra: Any) -> httpx.Response:
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
) -> httpx.Response:
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


def event(live: Any, inner: dict[str, Any], event_id: str = "Ev0001", **headers: str) -> httpx.Response:
    """An Events API delivery."""
    return signed(live, event_body(inner, event_id=event_id), content_type="application/json", **headers)
