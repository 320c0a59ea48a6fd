"""Presence materialised per student, week and part, and the versions that say whether it is current.

Every write presence is derived from (a new Zoom row, a TA's link, a roster import) bumps the
`source` version in its own transaction; a reader whose `cache` row names that version and the
same inputs key reads its rows, else recomputes from the stored events and replaces them
(README "Zoom attendance"). The stored events stay the truth: this table can be emptied at will.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import Table, delete, func, insert, select, update
from sqlmodel import Session

from storage.models import IdentityLink, PresenceSpan, PresenceState, Student

Part = Literal["webinar", "discussion"]
Span = tuple[datetime, datetime]
_SPANS: Table = PresenceSpan.__table__  # type: ignore[attr-defined]
_STATE: Table = PresenceState.__table__  # type: ignore[attr-defined]


class Owned(Protocol):
    """What is stored per row: whose visits, which week and part, the clipped spans."""

    @property
    def week(self) -> int: ...
    @property
    def part(self) -> Part: ...
    @property
    def student_id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def spans(self) -> Sequence[Span]: ...


@dataclass(frozen=True)
class StoredSpans:
    """One stored row, read back."""

    week: int
    part: Part
    student_id: int | None
    name: str
    email: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class State:
    """The source version now, and the version and inputs key the stored rows were computed for."""

    source: int
    cached: int
    key: str

    def current(self, key: str) -> bool:
        """Whether the stored rows are what a computation from scratch would give now."""
        return self.cached == self.source and self.key == key


_BUMP = update(_STATE).where(_STATE.c.name == "source").values(version=_STATE.c.version + 1)


def bump_source(*, session: Session) -> None:
    """Mark stored presence out of date, in the transaction that changes what it is derived from."""
    session.connection().execute(_BUMP)  # built once: every group commit of Zoom rows runs it


def state(*, session: Session) -> State | None:
    """Both version rows (None if the table was never set up)."""
    rows = dict(session.connection().execute(select(_STATE.c.name, _STATE.c.version)).all())
    if "source" not in rows or "cache" not in rows:
        return None
    key = session.connection().execute(select(_STATE.c.detail).where(_STATE.c.name == "cache")).scalar()
    return State(rows["source"], rows["cache"], key or "")


def roster_key(*, session: Session) -> str:
    """A cheap fingerprint of the roster and TA links, for writers that do not bump the version."""
    conn = session.connection()
    students = conn.execute(select(func.count(), func.max(Student.id), func.max(Student.updated_at))).one()
    links = conn.execute(select(func.count(), func.max(IdentityLink.id))).one()
    return repr((tuple(students), tuple(links)))


def rows(*, session: Session, student_id: int | None = None) -> list[StoredSpans]:
    """The stored rows: one student's, or every row (unmatched identities included)."""
    stmt = select(
        _SPANS.c.week, _SPANS.c.part, _SPANS.c.student_id, _SPANS.c.name, _SPANS.c.email, _SPANS.c.spans
    )
    if student_id is not None:
        stmt = stmt.where(_SPANS.c.student_id == student_id)
    return [
        StoredSpans(w, p, sid, n, e, _decode(s)) for w, p, sid, n, e, s in session.connection().execute(stmt)
    ]


def replace(*, session: Session, owned: Sequence[Owned], version: int, key: str) -> None:
    """Store a computation from scratch made at `version` with inputs `key` (the cache row is
    locked first, so concurrent readers replace the rows one after another)."""
    conn = session.connection()
    conn.execute(update(_STATE).where(_STATE.c.name == "cache").values(version=version, detail=key))
    conn.execute(delete(_SPANS))
    values = [
        {
            "week": o.week,
            "part": o.part,
            "student_id": o.student_id,
            "name": o.name[:200],
            "email": o.email[:320],
            "spans": _encode(o.spans),
        }
        for o in owned
    ]
    if values:
        conn.execute(insert(_SPANS), values)


def _encode(spans: Sequence[Span]) -> str:
    return json.dumps([[_micros(s), _micros(e)] for s, e in spans])


def _decode(text: str) -> tuple[Span, ...]:
    return tuple((_instant(s), _instant(e)) for s, e in json.loads(text))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(at: datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)
