"""Zoom webhook: verify over the raw body, answer URL validation, store, then acknowledge.

One INSERT per delivery and nothing else (committed together with concurrent deliveries:
storage/group_commit.py): presence is derived when it is read, so the request never waits on
Slack or on any computation. A storage error propagates, and the
web layer answers 503 so that Zoom retries.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.deps import Deps
from handlers.zoom.wire import BadEvent, event_row, signature_problem, url_validation
from storage.zoom_store import NewZoomEvent, store_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookReply:
    """The HTTP answer for Zoom."""

    status: int
    body: dict[str, Any]


def check(
    deps: Deps,
    secret: str,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    wall_clock: Callable[[], float] = time.time,
) -> WebhookReply | NewZoomEvent:
    """Everything but storage: the reply for a delivery we answer at once, or the row to store."""
    problem = signature_problem(secret, headers, raw, wall_clock())
    if problem:
        logger.warning("Zoom webhook refused (401): %s", problem)
        return WebhookReply(401, {"error": problem})
    try:
        payload, text = _object(raw)
        if payload.get("event") == "endpoint.url_validation":
            return WebhookReply(200, url_validation(secret, payload))
        return event_row(payload, text, deps.clock())
    except BadEvent as exc:
        return _bad(str(exc))


def _object(raw: bytes) -> tuple[dict[str, Any], str]:
    """The body as a JSON object and as text, or BadEvent."""
    try:
        text = raw.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadEvent("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadEvent("the body must be a JSON object")
    return payload, text


async def receive(deps: Deps, secret: str, headers: Mapping[str, str], raw: bytes) -> WebhookReply:
    """Handle one delivery: 401 unsigned, 400 unusable, 200 once durably stored (group commit)."""
    outcome = check(deps, secret, headers, raw)
    if isinstance(outcome, WebhookReply):
        return outcome
    return _stored(await store_event(deps.engine, outcome))


async def store_json(deps: Deps, raw: bytes) -> bool:
    """Store an event from Zoom's WebSocket exactly as a webhook's; True when new, BadEvent if unusable."""
    payload, text = _object(raw)
    # the source is for the audit trail only: deduplication ignores where an event came from
    return await store_event(deps.engine, event_row(payload, text, deps.clock(), source="websocket"))


def _stored(added: bool) -> WebhookReply:
    return WebhookReply(200, {"ok": True, "duplicate": not added})


def _bad(reason: str) -> WebhookReply:
    logger.warning("Zoom webhook refused (400): %s", reason)
    return WebhookReply(400, {"error": reason})
