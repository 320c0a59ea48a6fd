"""The outbox: every scheduled message is claimed here before it is sent, so it is sent once.

A row's life: `claimed` (by one runner, until `lease_until`) → `sent`, or → `failed` (a
permanent error, or too many attempts). A transient failure hands the claim back with a
later `lease_until`, and a claim whose runner died simply expires: either way the next run
may claim it again. Two runners never hold the same key: the first claim is an INSERT of
the unique key, and a re-claim is an UPDATE conditioned on the lease having expired.
Lease times are wall-clock instants (never a simulated `--now`), so a `run-due --now` in the
past beside `serve` cannot steal a live claim.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.db import changed_one_row, insert_once
from storage.models import OutboundMessage, RecordingLink, Student

LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 10
CLAIMED, SENT, FAILED = "claimed", "sent", "failed"
QUESTION_COPY = "question_copy"


@dataclass(frozen=True)
class Envelope:
    """What the outbox records about a message: its unique key, kind, week, student and channel."""

    key: str
    kind: str
    channel: str
    week: int | None = None
    student_id: int | None = None


@dataclass(frozen=True)
class MessageState:
    """A stored row's status, as the due computation needs it."""

    kind: str
    status: str
    lease_until: datetime | None
    attempts: int


def states(*, session: Session) -> dict[str, MessageState]:
    """Every outbox key with its status (one query, no row objects)."""
    table = OutboundMessage.__table__.c  # type: ignore[attr-defined]
    stmt = sa_select(table.key, table.kind, table.status, table.lease_until, table.attempts)
    rows = session.connection().execute(stmt)
    return {key: MessageState(kind, status, lease, n) for key, kind, status, lease, n in rows}


def runner_id() -> str:
    """Who holds a claim: host, process and a random tag (fits the 64-character column)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(
    *, session: Session, envelope: Envelope, owner: str, at: datetime, lease: timedelta = LEASE
) -> bool:
    """Take the message for `owner` until `at + lease`; False when someone else has it or it is done."""
    row = _claimed_row(envelope, at, attempts=1, lease_until=at + lease, owner=owner)
    if insert_once(session, row, key="key"):
        return True
    return reclaim(session=session, key=envelope.key, owner=owner, at=at, lease=lease, kind=envelope.kind)


def reclaim(
    *,
    session: Session,
    key: str,
    owner: str,
    at: datetime,
    lease: timedelta = LEASE,
    kind: str | None = None,
) -> bool:
    """Take an existing row whose lease has ended (a recorded intent, a back-off, a dead runner)."""
    values: dict[str, object] = {
        "claimed_by": owner,
        "lease_until": at + lease,
        "attempts": OutboundMessage.attempts + 1,
    }
    if kind is not None:
        values["kind"] = kind
    stmt = (
        update(OutboundMessage)
        .where(
            col(OutboundMessage.key) == key,
            col(OutboundMessage.status) == CLAIMED,
            col(OutboundMessage.lease_until) <= at,
        )
        .values(**values)
    )
    return changed_one_row(session, stmt)


def add_intent(*, session: Session, envelope: Envelope, at: datetime) -> None:
    """Record a message to send, in the caller's transaction: claimable by anyone from `at`."""
    session.add(_claimed_row(envelope, at, attempts=0, lease_until=at))


def _claimed_row(
    envelope: Envelope, at: datetime, *, attempts: int, lease_until: datetime, owner: str | None = None
) -> OutboundMessage:
    """The envelope's row, claimed by `owner` (or by nobody: an intent) until `lease_until`."""
    return OutboundMessage(
        key=envelope.key,
        kind=envelope.kind,
        week=envelope.week,
        student_id=envelope.student_id,
        channel=envelope.channel,
        status=CLAIMED,
        attempts=attempts,
        claimed_by=owner,
        lease_until=lease_until,
        created_at=at,
    )


def claimable(*, session: Session, kind: str, at: datetime) -> list[OutboundMessage]:
    """Rows of `kind` still to send whose lease has ended at `at` (oldest first)."""
    stmt = (
        select(OutboundMessage)
        .where(
            col(OutboundMessage.kind) == kind,
            col(OutboundMessage.status) == CLAIMED,
            col(OutboundMessage.lease_until) <= at,
        )
        .order_by(col(OutboundMessage.id))
    )
    return list(session.exec(stmt).all())


def extend(*, session: Session, key: str, owner: str, until: datetime) -> bool:
    """Keep holding a claim (e.g. while waiting out a 429); False if it was lost."""
    stmt = update(OutboundMessage).where(*_held(key, owner)).values(lease_until=until)
    return changed_one_row(session, stmt)


def mark_sent(
    *,
    session: Session,
    key: str,
    owner: str,
    at: datetime,
    slack_channel: str | None,
    slack_ts: str | None,
) -> bool:
    """Record the successful send with Slack's channel and ts; False if the claim was lost."""
    stmt = (
        update(OutboundMessage)
        .where(*_held(key, owner))
        .values(
            status=SENT,
            sent_at=at,
            slack_channel=slack_channel,
            slack_ts=slack_ts,
            lease_until=None,
            error=None,
        )
    )
    return changed_one_row(session, stmt)


def mark_failed(*, session: Session, key: str, owner: str, error: str) -> bool:
    """A permanent failure: never retried."""
    stmt = (
        update(OutboundMessage)
        .where(*_held(key, owner))
        .values(status=FAILED, lease_until=None, error=error[:500])
    )
    return changed_one_row(session, stmt)


def release(*, session: Session, key: str, owner: str, error: str, at: datetime) -> str | None:
    """A transient failure: hand the claim back after a backoff; after MAX_ATTEMPTS, fail it.

    Returns the resulting status (`claimed` = will be retried, `failed` = given up), or None
    when `owner` no longer held the claim.
    """
    row = session.exec(select(OutboundMessage).where(*_held(key, owner)).with_for_update()).first()
    if row is None:
        return None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = FAILED
        row.lease_until = None
        row.error = f"gave up after {row.attempts} attempts: {error}"[:500]
    else:
        row.lease_until = at + backoff(row.attempts)
        row.claimed_by = None
        row.error = error[:500]
    session.flush()
    return row.status


def backoff(attempts: int) -> timedelta:
    """How long a transient failure waits: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def get(*, session: Session, key: str) -> OutboundMessage | None:
    """One outbox row by key."""
    return session.exec(select(OutboundMessage).where(OutboundMessage.key == key)).first()


def _held(key: str, owner: str) -> tuple[ColumnElement[bool], ...]:
    """Conditions that hold while `owner` still has the claim on `key`."""
    return (
        col(OutboundMessage.key) == key,
        col(OutboundMessage.status) == CLAIMED,
        col(OutboundMessage.claimed_by) == owner,
    )


def wake_marks(*, session: Session) -> tuple[object, ...]:
    """A cheap fingerprint of what can make a new message due (see IdleGate in handlers/schedule/jobs.py).

    Only changes that can *add* work count: students (new, re-activated, a Slack id found)
    and recording links. Reflections, excuses, watched recordings and Zoom data only ever
    remove work, and the calendar's own boundaries are checked separately.
    """
    students = (
        session.connection()
        .execute(sa_select(func.count(), func.max(Student.updated_at), func.max(Student.id)))
        .one()
    )
    links = (
        session.connection()
        .execute(sa_select(func.count(), func.max(RecordingLink.set_at), func.max(RecordingLink.url)))
        .one()
    )
    return (*students, *links)


def next_lease_end(*, session: Session, after: datetime) -> datetime | None:
    """The earliest wall-clock instant after `after` that a held or backed-off claim frees up."""
    stmt = sa_select(func.min(OutboundMessage.lease_until)).where(
        col(OutboundMessage.status) == CLAIMED, col(OutboundMessage.lease_until) > after
    )
    value = session.connection().execute(stmt).scalar_one_or_none()
    return value if isinstance(value, datetime) else None
