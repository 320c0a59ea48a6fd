"""Paced edits of one Slack message, shared by every process: its edit slot and what it shows.

A row (a week's TallyMessage, a question's QuestionState) counts changes in `version`;
`rendered_version` is the newest version a sent message reflects; `updated_at` is the last
edit slot taken, which paces chat.update (handlers/schedule/paced.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from storage.db import changed_one_row, insert_ignoring_duplicates
from storage.models import QuestionState, TallyMessage

NEVER = datetime(2000, 1, 1, tzinfo=UTC)
PacedTable = type[TallyMessage] | type[QuestionState]


def _key(table: PacedTable) -> str:
    """The column a key names: a week, a question id."""
    return "week" if table is TallyMessage else "question_id"


def _row(table: PacedTable, key: int) -> ColumnElement[bool]:
    """The one row of `table` that `key` names."""
    return col(getattr(table, _key(table))) == key


def bump(
    *,
    session: Session,
    table: PacedTable,
    key: int,
    create: dict[str, object] | None = None,
    change: dict[str, object] | None = None,
) -> int:
    """Record that the key's message must change, creating its row once (with `create`'s values)
    and setting `change` with it; the new version."""
    new = {_key(table): key, **(create or {}), "version": 0, "rendered_version": 0, "updated_at": NEVER}
    session.execute(insert_ignoring_duplicates(session, table, key=_key(table)).values(**new))
    session.execute(
        update(table).where(_row(table, key)).values(version=col(table.version) + 1, **(change or {}))
    )
    return int(session.exec(select(table.version).where(_row(table, key))).one())


def claim_slot(*, session: Session, table: PacedTable, key: int, now: datetime, interval: float) -> bool:
    """Take the right to edit now, if nobody edited in the last `interval` seconds."""
    cutoff = now - timedelta(seconds=interval)
    stmt = update(table).where(_row(table, key), col(table.updated_at) <= cutoff).values(updated_at=now)
    return changed_one_row(session, stmt)


def restart_slot(*, session: Session, table: PacedTable, key: int, now: datetime) -> None:
    """Measure the pause from when a send finished, so Slack sees edits `interval` apart."""
    stmt = update(table).where(_row(table, key), col(table.updated_at) < now)
    session.execute(stmt.values(updated_at=now))


def mark_rendered(*, session: Session, table: PacedTable, key: int, version: int) -> None:
    """The sent message reflects `version` (never move backwards)."""
    session.execute(
        update(table)
        .where(_row(table, key), col(table.rendered_version) < version)
        .values(rendered_version=version)
    )
