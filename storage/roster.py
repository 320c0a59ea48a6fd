"""Roster import: validated rows (rules/roster_file.py) applied all-or-nothing, updated by email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel import Session, select

from storage.models import Student, utcnow
from storage.presence_cache import bump_source


class RosterEntry(Protocol):
    """One checked roster line (rules/roster_file.py `RosterRow`), as this module reads it."""

    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def slack_user_id(self) -> str | None: ...
    @property
    def zoom_email(self) -> str | None: ...


@dataclass
class ImportResult:
    """What an import changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    unchanged: int = 0


def apply_roster(*, session: Session, rows: Sequence[RosterEntry]) -> ImportResult:
    """Insert or update by email; students missing from the file become `dropped`."""
    result = ImportResult()
    existing = {s.email: s for s in session.exec(select(Student)).all()}
    for row in rows:
        student = existing.pop(row.email, None)
        if student is None:
            session.add(
                Student(
                    name=row.name,
                    email=row.email,
                    slack_user_id=row.slack_user_id,
                    zoom_email=row.zoom_email,
                )
            )
            result.added.append(row.email)
        elif _update(student, row):
            result.updated.append(row.email)
        else:
            result.unchanged += 1
    for student in existing.values():
        if student.status != "dropped":
            student.status = "dropped"
            student.updated_at = utcnow()
            result.dropped.append(student.email)
    if result.added or result.updated:
        bump_source(session=session)  # names and emails decide who a Zoom participant is
    return result


def _update(student: Student, row: RosterEntry) -> bool:
    changes = {
        "name": row.name,
        "status": "active",
        "slack_user_id": row.slack_user_id or student.slack_user_id,
        "zoom_email": row.zoom_email,
    }
    changed = False
    for attr, value in changes.items():
        if getattr(student, attr) != value:
            setattr(student, attr, value)
            changed = True
    if changed:
        student.updated_at = utcnow()
    return changed
