"""Zoom event rows: idempotent inserts and the narrow reads presence needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, and_, false, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, select

from storage.db import insert_new_rows
from storage.models import ZoomEvent
from storage.presence_cache import touch

PRESENCE_KINDS = ("join", "leave", "start", "end")
_TABLE: Table = ZoomEvent.__table__  # type: ignore[attr-defined]
_COLUMNS = tuple(c.name for c in _TABLE.columns if c.name != "id")
_LIMITS: dict[str, int] = {
    c.name: length for c in _TABLE.columns if isinstance(length := getattr(c.type, "length", None), int)
}


@dataclass(frozen=True)
class Mark:
    """One join, leave, start or end at the payload's own time: what presence is derived from."""

    kind: str
    at: datetime
    zoom_id: str
    instance_uuid: str
    participant_key: str
    user_name: str = ""
    email: str = ""
    registrant_id: str = ""
    zoom_user_id: str = ""


@dataclass(frozen=True, slots=True)
class NewZoomEvent:
    """The values of one zoom_events row to insert (every column but `id`).

    Plain data rather than a `ZoomEvent` instance: building a SQLModel table object was the
    largest cost of a webhook delivery after the server itself (README "Benchmarks"), and the
    insert below reads values only.
    """

    dedup_key: str
    source: str
    event: str
    event_ts: int | None
    zoom_id: str
    instance_uuid: str
    kind: str
    at: datetime | None
    participant_key: str
    user_name: str
    email: str
    registrant_id: str
    zoom_user_id: str
    body: str
    received_at: datetime


if {f.name for f in fields(NewZoomEvent)} != set(_COLUMNS):  # pragma: no cover - a model change
    raise RuntimeError("NewZoomEvent's fields must be ZoomEvent's columns but id")
_VALUES = attrgetter(*_COLUMNS)  # a row's values in column order, in one call


_CHUNK = 500  # rows per statement: 7,500 parameters, under both databases' limits
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _same(value: Any) -> Any:
    return value


@cache
def _converters(dialect: Dialect) -> tuple[Callable[[Any], Any], ...]:
    """Each column's bind processor in this dialect, in `_COLUMNS` order (what SQLAlchemy applies)."""
    processors = (_TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _COLUMNS)
    return tuple(fn or _same for fn in processors)


@cache
def _insert_sql(paramstyle: str, count: int) -> str:
    """The driver-level INSERT of `count` rows that skips stored dedup_keys and names the new ones.

    Identifiers in double quotes, which SQLite and PostgreSQL both read as the lower-case name.
    """
    mark = _PLACEHOLDERS[paramstyle]
    row = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    names = ", ".join(f'"{name}"' for name in _COLUMNS)
    return (
        f'INSERT INTO "{_TABLE.name}" ({names}) '
        f"VALUES {', '.join([row] * count)} "
        'ON CONFLICT ("dedup_key") DO NOTHING RETURNING "dedup_key"'
    )


def column_limit(name: str) -> int | None:
    """The column's max length, so callers can truncate instead of failing the insert."""
    return _LIMITS.get(name)


def insert_events(*, session: Session, rows: Sequence[NewZoomEvent]) -> int:
    """Insert rows, skipping any whose dedup_key is already stored; returns how many were new."""
    return sum(insert_new(session=session, rows=rows))


def insert_new(*, session: Session, rows: Sequence[NewZoomEvent]) -> list[bool]:
    """Insert rows, skipping dedup_keys already stored; for each row, whether it was the new one."""
    unique = {row.dedup_key: row for row in reversed(rows)}
    values = [dict(zip(_COLUMNS, _VALUES(row), strict=True)) for row in unique.values()]
    return _first_of_each(session, rows, insert_new_rows(session, _TABLE, values, key="dedup_key"))


def insert_new_direct(*, session: Session, rows: Sequence[NewZoomEvent]) -> list[bool]:
    """`insert_new` through the DB driver: the webhook's writer, the same rows (tests prove it).

    One `INSERT … VALUES (…), (…) ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key` per
    chunk on the session's own connection and transaction, values converted by the columns'
    own bind processors; SQLAlchemy's statement machinery cost more than the fsync (README
    "Benchmarks").
    """
    unique = list({row.dedup_key: row for row in reversed(rows)}.values())
    connection = session.connection()
    dialect = connection.dialect
    convert = _converters(dialect)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    new: set[str] = set()
    try:
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            params = [fn(value) for row in chunk for fn, value in zip(convert, _VALUES(row), strict=True)]
            cursor.execute(_insert_sql(dialect.paramstyle, len(chunk)), params)
            new.update(key for (key,) in cursor.fetchall())
    finally:
        cursor.close()
    return _first_of_each(session, rows, new)


def _first_of_each(session: Session, rows: Sequence[NewZoomEvent], new: set[str]) -> list[bool]:
    """For each row, whether it is the one that inserted its key; marks the new rows' presence stale."""
    if new:
        firsts = {row.dedup_key: row for row in reversed(rows) if row.dedup_key in new}
        touch(session=session, rows=list(firsts.values()))  # presence is derived from these rows
    first: list[bool] = []
    for row in rows:
        first.append(row.dedup_key in new)
        new.discard(row.dedup_key)
    return first


def presence_marks(
    *, session: Session, zoom_ids: Iterable[str], between: Sequence[tuple[datetime, datetime]] | None = None
) -> list[Mark]:
    """Every timed join/leave/start/end for these Zoom ids (and rows whose id Zoom left out),
    or only those at an instant in one of the `between` ranges (start included, end not)."""
    ids = [*zoom_ids, ""]
    fields = ("kind", "at", "zoom_id", "instance_uuid", "participant_key", "user_name", "email")
    columns = [_TABLE.c[name] for name in (*fields, "registrant_id", "zoom_user_id")]
    stmt = sa_select(*columns).where(
        _TABLE.c.kind.in_(PRESENCE_KINDS), _TABLE.c.at.is_not(None), _TABLE.c.zoom_id.in_(ids)
    )
    if between is not None:
        stmt = stmt.where(or_(false(), *(and_(_TABLE.c.at >= lo, _TABLE.c.at < hi) for lo, hi in between)))
    return [Mark(*row) for row in session.connection().execute(stmt)]


def distinct_identities(*, session: Session) -> list[tuple[str, str, str, str]]:
    """Each distinct (user_name, email, registrant_id, zoom_user_id) seen in join/leave rows."""
    stmt = (
        select(ZoomEvent.user_name, ZoomEvent.email, ZoomEvent.registrant_id, ZoomEvent.zoom_user_id)
        .where(col(ZoomEvent.kind).in_(("join", "leave")))
        .distinct()
    )
    return [tuple(row) for row in session.exec(stmt).all()]  # type: ignore[misc]
