"""Presence materialised per student, week and part, and what says whether it is current.

A TA's link or a roster import bumps the `source` version; a reader whose `cache` row names that
version and the same inputs key may use its rows, else recomputes the whole class and replaces
them. A new Zoom row instead counts one more write (`pending`) for its instance, with its first
and last time, so the reader recomputes only the weeks and parts of the instances it has not
caught up with (README "Zoom attendance"). The stored events stay the truth: these tables can go.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import Executable
from sqlmodel import Field, Session, SQLModel

from storage.models import IdentityLink, Student

Part = Literal["webinar", "discussion"]


class PresenceSpan(SQLModel, table=True):
    """One owner's clipped visits in a week's part, derived from what `presence_state` names."""

    __tablename__ = "presence_spans"
    id: int | None = Field(default=None, primary_key=True)
    week: int
    part: str = Field(max_length=16)
    student_id: int | None = Field(default=None, index=True)
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    spans: str = Field(default="", sa_column=Column(Text, nullable=False))


class PresenceState(SQLModel, table=True):
    """`source`: bumped with every change presence is derived from; `cache`: what presence_spans holds."""

    __tablename__ = "presence_state"
    name: str = Field(primary_key=True, max_length=16)
    version: int = 0
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class PresenceInstance(SQLModel, table=True):
    """A Zoom instance's first and last time, and its writes the stored presence has not read yet."""

    __tablename__ = "presence_instances"
    zoom_id: str = Field(primary_key=True, max_length=32)
    instance_uuid: str = Field(primary_key=True, max_length=128)
    first_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    pending: int = 0


Span = tuple[datetime, datetime]
_SPANS: Table = PresenceSpan.__table__  # type: ignore[attr-defined]
_STATE: Table = PresenceState.__table__  # type: ignore[attr-defined]
_INSTANCES: Table = PresenceInstance.__table__  # type: ignore[attr-defined]


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
    session.connection().execute(_BUMP)  # built once: every TA link and roster import runs it


def state(*, session: Session) -> State | None:
    """Both version rows (None if the table was never set up)."""
    stmt = select(_STATE.c.name, _STATE.c.version, _STATE.c.detail)
    rows = {name: (version, detail) for name, version, detail in session.connection().execute(stmt)}
    if "source" not in rows or "cache" not in rows:
        return None
    return State(rows["source"][0], rows["cache"][0], rows["cache"][1] or "")


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
    if owned:
        conn.execute(insert(_SPANS), [_values(o) for o in owned])


def replace_parts(*, session: Session, parts: Iterable[tuple[int, Part]], owned: Sequence[Owned]) -> None:
    """Store a computation of these weeks' parts (the cache row is locked first, as in `replace`)."""
    conn = session.connection()
    conn.execute(update(_STATE).where(_STATE.c.name == "cache").values(version=_STATE.c.version))
    keys = sorted(set(parts))
    if keys:
        which = or_(*(and_(_SPANS.c.week == w, _SPANS.c.part == p) for w, p in keys))
        conn.execute(delete(_SPANS).where(which))
    if owned:
        conn.execute(insert(_SPANS), [_values(o) for o in owned])


@dataclass(frozen=True)
class Instance:
    """One Zoom instance's rows in brief (uuid "" stands for every row of `zoom_id` without one)."""

    zoom_id: str
    instance_uuid: str
    first: datetime
    last: datetime
    pending: int

    @property
    def dirty(self) -> bool:
        """Rows were added since the stored presence was computed."""
        return self.pending != 0


class Timed(Protocol):
    """A stored Zoom row, as far as its instance's extent goes."""

    @property
    def zoom_id(self) -> str: ...
    @property
    def instance_uuid(self) -> str: ...
    @property
    def at(self) -> datetime | None: ...


def touch(*, session: Session, rows: Iterable[Timed]) -> None:
    """Mark the instances of new rows out of date, in the transaction that stores them."""
    _widen(session, rows, count=True)


def instances(*, session: Session) -> list[Instance]:
    """Every instance presence was derived from, and whether the stored copy has caught up."""
    cols = _INSTANCES.c
    stmt = select(cols.zoom_id, cols.instance_uuid, cols.first_us, cols.last_us, cols.pending)
    return [
        Instance(z, u, _instant(f), _instant(la), n) for z, u, f, la, n in session.connection().execute(stmt)
    ]


def caught_up(*, session: Session, marks: Iterable[Timed], read: Sequence[Instance]) -> None:
    """After a computation from `marks`: record their instances, and `read`'s writes as done
    (a write counted after `read` was taken stays pending)."""
    _widen(session, marks, count=False)
    done = [{"z": i.zoom_id, "u": i.instance_uuid, "n": i.pending} for i in read if i.dirty]
    if done:
        cols = _INSTANCES.c
        stmt = (
            update(_INSTANCES)
            .where(cols.zoom_id == bindparam("z"), cols.instance_uuid == bindparam("u"))
            .values(pending=cols.pending - bindparam("n"))
        )
        session.connection().execute(stmt, done)


def _widen(session: Session, rows: Iterable[Timed], *, count: bool) -> None:
    """Upsert each instance's first and last time (and count one more write when `count`)."""
    extent: dict[tuple[str, str], tuple[int, int]] = {}
    for row in rows:
        if row.at is None:
            continue
        key, at = (row.zoom_id, row.instance_uuid), _micros(row.at)
        lo, hi = extent.get(key, (at, at))
        extent[key] = (min(lo, at), max(hi, at))
    if not extent:
        return
    pending = 1 if count else 0
    values = [
        {"zoom_id": z, "instance_uuid": u, "first_us": lo, "last_us": hi, "pending": pending}
        for (z, u), (lo, hi) in sorted(extent.items())
    ]
    session.connection().execute(_widen_statement(session.connection().dialect.name), values)


@functools.cache
def _widen_statement(dialect: str) -> Executable:
    """The instance upsert, built once per dialect: it runs in every webhook batch's transaction."""
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_(_INSTANCES)
    cols, new = _INSTANCES.c, stmt.excluded
    changes = {
        "first_us": case((new.first_us < cols.first_us, new.first_us), else_=cols.first_us),
        "last_us": case((new.last_us > cols.last_us, new.last_us), else_=cols.last_us),
        "pending": cols.pending + new.pending,
    }
    return stmt.on_conflict_do_update(index_elements=["zoom_id", "instance_uuid"], set_=changes)


def _values(o: Owned) -> dict[str, object]:
    return {
        "week": o.week,
        "part": o.part,
        "student_id": o.student_id,
        "name": o.name[:200],
        "email": o.email[:320],
        "spans": _encode(o.spans),
    }


def _encode(spans: Sequence[Span]) -> str:
    return json.dumps([[_micros(s), _micros(e)] for s, e in spans])


def _decode(text: str) -> tuple[Span, ...]:
    return tuple((_instant(s), _instant(e)) for s, e in json.loads(text))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)  # exact: timedelta arithmetic is integral


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)
