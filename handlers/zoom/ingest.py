"""A Zoom delivery, from its raw body to a stored row: one function, wherever it runs.

The webhook (once the signature is checked) and the WebSocket hand a body over raw (`Delivery`); `write`
parses each, builds its row and inserts a batch of them in one transaction. It runs in the
writer process `serve` starts (bot/zoom_writer.py), so that parsing, inserting and the commit's
fsync take the second core rather than the web server's event loop (README "Benchmarks"), or,
where no writer process runs (the CLI, the playground, the tests' in-process server), in this
process's group commit (storage/group_commit.py). Either way the answer comes only once the row
is committed, so an acknowledged event is durable.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from handlers.zoom.wire import BadEvent, event_row
from storage.group_commit import GroupCommit
from storage.zoom_store import NewZoomEvent, insert_new_direct


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event as it arrived: the raw body, when, and by which way (webhook or websocket)."""

    raw: bytes
    received_at: datetime
    source: str = "webhook"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a delivery: stored (`new` unless it was already), why it is unusable, or
    that it is Zoom's endpoint check (never stored: the web server answers it)."""

    new: bool = False
    problem: str = ""
    validation: bool = False


Store = Callable[[Delivery], Awaitable[Outcome]]


def parse(raw: bytes) -> tuple[dict[str, Any], str]:
    """The body as a JSON object and as text, or BadEvent."""
    try:
        text = raw.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadEvent("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadEvent("the body must be a JSON object")
    return payload, text


URL_VALIDATION = "endpoint.url_validation"


def row_of(delivery: Delivery) -> NewZoomEvent | None:
    """The zoom_events row for a delivery, None for Zoom's endpoint check, or BadEvent."""
    payload, text = parse(delivery.raw)
    if payload.get("event") == URL_VALIDATION:
        return None
    return event_row(payload, text, delivery.received_at, source=delivery.source)


def write(session: Session, deliveries: Sequence[Delivery]) -> list[Outcome]:
    """Parse and insert a batch in the caller's transaction; each delivery's outcome, in order."""
    rows: list[NewZoomEvent] = []
    outcomes: list[Outcome | None] = []
    for delivery in deliveries:
        try:
            row = row_of(delivery)
        except BadEvent as exc:
            outcomes.append(Outcome(problem=str(exc)))
            continue
        if row is None:
            outcomes.append(Outcome(validation=True))
        else:
            rows.append(row)
            outcomes.append(None)
    new = iter(insert_new_direct(session=session, rows=rows))
    return [outcome or Outcome(new=next(new)) for outcome in outcomes]


_WRITES: GroupCommit[Delivery, Outcome] = GroupCommit(write)


class ZoomWrites:
    """Where this process's Zoom deliveries are written: the writer process once `serve` has
    started one (`use`), else this process's group commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.process: Store | None = None

    def use(self, store: Store | None) -> None:
        """Hand deliveries to `store` (the writer process), or back to this process with None."""
        self.process = store

    async def store(self, delivery: Delivery) -> Outcome:
        """Store one delivery; returns once it is committed (or raises: the caller answers 503)."""
        if self.process is not None:
            return await self.process(delivery)
        return await _WRITES.submit(self.engine, delivery)
