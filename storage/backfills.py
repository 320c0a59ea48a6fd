"""Automatic back-fill claims: each week's part is back-filled once, across any number of processes.

Like the outbox (storage/outbox.py): the first claim is an INSERT of the unique (week, part), a
re-claim an UPDATE conditioned on the lease having expired, so two runners never hold one part.
A failure hands the claim back with a short back-off (the next tick tries again); a success or
the last attempt ends it. Lease times are wall-clock instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.db import changed_one_row, session_scope
from storage.models import ZoomBackfill
from storage.outbox import backoff

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 10
CLAIMED, DONE, FAILED = "claimed", "done", "failed"


@dataclass(frozen=True)
class BackfillState:
    """A part's back-fill as the TA summary reports it."""

    week: int
    part: str
    status: str
    visits: int
    added: int
    attempts: int
    error: str | None


def claim(engine: Engine, week: int, part: str, *, owner: str, at: datetime) -> bool:
    """Take the part's back-fill for `owner` until `at + LEASE`; False when it is held or finished."""
    row = ZoomBackfill(
        week=week, part=part, status=CLAIMED, attempts=1, claimed_by=owner, lease_until=at + LEASE
    )
    try:
        with session_scope(engine) as session:
            session.add(row)
        return True
    except IntegrityError:
        pass
    again = (
        update(ZoomBackfill)
        .where(*_part(week, part), col(ZoomBackfill.status) == CLAIMED, col(ZoomBackfill.lease_until) <= at)
        .values(claimed_by=owner, lease_until=at + LEASE, attempts=col(ZoomBackfill.attempts) + 1)
    )
    with session_scope(engine) as session:
        return changed_one_row(session, again)


def finish(
    engine: Engine, week: int, part: str, *, owner: str, at: datetime, visits: int, added: int
) -> bool:
    """The part is back-filled: record what Zoom's report held and what was new to us."""
    stmt = (
        update(ZoomBackfill)
        .where(*_held(week, part, owner))
        .values(status=DONE, lease_until=None, visits=visits, added=added, error=None, finished_at=at)
    )
    with session_scope(engine) as session:
        return changed_one_row(session, stmt)


def release(engine: Engine, week: int, part: str, *, owner: str, error: str, at: datetime) -> str | None:
    """Zoom failed: free the claim for a later tick (after a back-off), or fail it after MAX_ATTEMPTS."""
    with session_scope(engine) as session:
        row = session.exec(select(ZoomBackfill).where(*_held(week, part, owner)).with_for_update()).first()
        if row is None:
            return None
        row.error = error[:500]
        row.claimed_by = None
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.lease_until, row.finished_at = FAILED, None, at
        else:
            row.lease_until = at + backoff(row.attempts)
        return row.status


def for_week(*, session: Session, week: int) -> list[BackfillState]:
    """The week's back-fills (none until the first was claimed), webinar first."""
    rows = session.exec(select(ZoomBackfill).where(col(ZoomBackfill.week) == week)).all()
    states = [BackfillState(r.week, r.part, r.status, r.visits, r.added, r.attempts, r.error) for r in rows]
    return sorted(states, key=lambda s: s.part != "webinar")


def finished(*, session: Session) -> set[tuple[int, str]]:
    """(week, part) of every back-fill that is done or failed: never claimed again."""
    stmt = select(ZoomBackfill.week, ZoomBackfill.part).where(col(ZoomBackfill.status).in_((DONE, FAILED)))
    return {(week, part) for week, part in session.exec(stmt).all()}


def _part(week: int, part: str) -> tuple[ColumnElement[bool], ...]:
    return (col(ZoomBackfill.week) == week, col(ZoomBackfill.part) == part)


def _held(week: int, part: str, owner: str) -> tuple[ColumnElement[bool], ...]:
    return (*_part(week, part), col(ZoomBackfill.status) == CLAIMED, col(ZoomBackfill.claimed_by) == owner)
