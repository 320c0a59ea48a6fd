"""The changes a TA makes, one function each, shared by `/seminar` and the TA Home's modals.

Each writes one transaction (storage/ta_changes.py records who and when), says it is stored
(`stored`, so no later failure reports it lost; handlers/slack/after_ack.py), then tells the
tallies of the weeks it touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.records import student_record, unmatched_identities
from handlers.zoom.identities import match_identity
from rules.course import PARTS
from rules.identity import same_identity
from rules.presence import UnmatchedPresence
from storage import ta_changes
from storage.db import session_scope
from storage.models import Student

Stored = Callable[[], None]


@dataclass(frozen=True)
class Matched:
    """A match: the unmatched minutes that now count for the student, and who had the identity before."""

    minutes: list[UnmatchedPresence]
    moved_from: str | None


def excuse(
    deps: Deps, client: WebClient, *, ta: str, student_id: int, week: int, reason: str, stored: Stored
) -> None:
    """Excuse a student's week (or change the reason)."""
    with session_scope(deps.engine) as session:
        ta_changes.set_excuse(session=session, student_id=student_id, week=week, reason=reason, ta_user_id=ta)
    stored()
    deps.tally.touch(client, week)


def unexcuse(deps: Deps, client: WebClient, *, ta: str, student_id: int, week: int, stored: Stored) -> bool:
    """Withdraw an excuse; False when there was none."""
    with session_scope(deps.engine) as session:
        removed = ta_changes.remove_excuse(session=session, student_id=student_id, week=week, ta_user_id=ta)
    stored()
    if removed is not None:
        deps.tally.touch(client, week)
    return removed is not None


def match(
    deps: Deps,
    client: WebClient,
    *,
    ta: str,
    identity: str,
    student_id: int,
    now: datetime,
    stored: Stored,
) -> Matched:
    """Count a Zoom name's (or email's) past and future minutes for the student."""
    with session_scope(deps.engine) as session:
        before = unmatched_identities(session=session, course=deps.course, now=now)
        minutes = sorted(
            (u for u in before if same_identity(identity, u.name, u.email)),
            key=lambda u: (u.week, PARTS.index(u.part)),
        )
        result = match_identity(session=session, identity=identity, student_id=student_id, ta_user_id=ta)
        moved = session.get(Student, result.previous_student_id) if result.previous_student_id else None
        moved_from = moved.name if moved else None
    stored()
    for week in sorted({u.week for u in minutes}):
        deps.tally.touch(client, week)
    return Matched(minutes, moved_from)


def standing(deps: Deps, student: Student, now: datetime) -> str:
    """The student's standing after a change, for the TA's reply."""
    with session_scope(deps.engine) as session:
        return student_record(session=session, course=deps.course, now=now, student=student).standing
