"""Paced edits of one Slack message, shared by every process: its edit slot and what it shows.

A row (a week's TallyMessage, a question's QuestionState) counts changes in `version`;
`rendered_version` is the newest version a sent message reflects; `updated_at` is the last
edit slot taken, which paces chat.update (handlers/schedule/paced.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col

from storage.db import changed_one_row
from storage.models import QuestionState, TallyMessage

NEVER = datetime(2000, 1, 1, tzinfo=UTC)
PacedTable = type[TallyMessage] | type[QuestionState]


def _row(table: PacedTable, key: int) -> ColumnElement[bool]:
    """The one row of `table` that `key` names (a week, a question id)."""
    if table is TallyMessage:
        return col(TallyMessage.week) == key
    return col(QuestionState.question_id) == key


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
