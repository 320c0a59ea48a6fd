"""Zoom webhook: verify over the raw body, answer URL validation, store, then acknowledge.

The request checks the signature and hands the raw body to be parsed and stored
(handlers/zoom/ingest.py: in the writer process under `serve`), then answers once it is
committed: presence is derived when it is read, so the request never waits on Slack or on any
computation. A storage error propagates, and the web layer answers 503 so that Zoom retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.deps import Deps
from handlers.zoom.ingest import URL_VALIDATION, Delivery, parse
from handlers.zoom.wire import BadEvent, signature_problem, url_validation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookReply:
    """The HTTP answer for Zoom. A stored event gets no body, only `x-zoom-event: stored` or
    `duplicate`: Zoom reads the status alone, and a body is one more write to the socket for
    each delivery (README "Benchmarks")."""

    status: int
    body: dict[str, Any] | None
    headers: tuple[tuple[str, str], ...] = ()


_VALIDATION_BYTES = URL_VALIDATION.encode()


async def receive(
    deps: Deps,
    secret: str,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    wall_clock: Callable[[], float] = time.time,
) -> WebhookReply:
    """Handle one delivery: 401 unsigned, 400 unusable, 200 once durably stored."""
    problem = signature_problem(secret, headers, raw, wall_clock())
    if problem:
        logger.warning("Zoom webhook refused (401): %s", problem)
        return WebhookReply(401, {"error": problem})
    try:
        # Zoom's endpoint check is answered here without a trip to the writer; a body that
        # spells the name otherwise (JSON escapes) comes back from the writer as one, unstored.
        answer = _validation(secret, raw) if _VALIDATION_BYTES in raw else None
        if answer is not None:
            return answer
        outcome = await deps.zoom.store(Delivery(raw, deps.clock()))
        if outcome.validation:
            return _validation(secret, raw) or _bad("endpoint.url_validation could not be read")
    except BadEvent as exc:
        return _bad(str(exc))
    if outcome.problem:
        return _bad(outcome.problem)
    return _stored(outcome.new)


def _validation(secret: str, raw: bytes) -> WebhookReply | None:
    """The answer to Zoom's endpoint check, None for any other event, or BadEvent."""
    payload, _ = parse(raw)
    if payload.get("event") != URL_VALIDATION:
        return None
    return WebhookReply(200, url_validation(secret, payload))


async def store_json(deps: Deps, raw: bytes) -> bool:
    """Store an event from Zoom's WebSocket exactly as a webhook's; True when new, BadEvent if unusable."""
    # the source is for the audit trail only: deduplication ignores where an event came from
    outcome = await deps.zoom.store(Delivery(raw, deps.clock(), source="websocket"))
    if outcome.problem or outcome.validation:
        raise BadEvent(outcome.problem or "an endpoint.url_validation over the WebSocket")
    return outcome.new


def _stored(added: bool) -> WebhookReply:
    return WebhookReply(200, None, (("x-zoom-event", "stored" if added else "duplicate"),))


def _bad(reason: str) -> WebhookReply:
    logger.warning("Zoom webhook refused (400): %s", reason)
    return WebhookReply(400, {"error": reason})
