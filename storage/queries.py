"""Queries: `fn(*, session, ...) -> Model | None`; no Slack or Zoom imports here."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from storage.models import (
    Excuse,
    IdentityLink,
    Question,
    RecordingLink,
    RecordingWatched,
    Reflection,
    Student,
    TaAction,
)


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space (as rules/identity.py does)."""
    return email.strip().lower()


def get_student_by_email(*, session: Session, email: str) -> Student | None:
    """The student whose roster email is this one."""
    return session.exec(select(Student).where(Student.email == normalize_email(email))).first()


def students_by_email(*, session: Session, email: str) -> Sequence[Student]:
    """Students whose roster email or Zoom email is this one, in any case."""
    wanted = normalize_email(email)
    stmt = select(Student).where(
        (func.lower(Student.email) == wanted) | (func.lower(col(Student.zoom_email)) == wanted)
    )
    return session.exec(stmt.order_by(col(Student.name))).all()


def get_student_by_slack_id(*, session: Session, slack_user_id: str) -> Student | None:
    """The student linked to this Slack user."""
    stmt = select(Student).where(Student.slack_user_id == slack_user_id)
    return session.exec(stmt).first()


def list_students(*, session: Session, active_only: bool = False) -> Sequence[Student]:
    """Every student on the roster, by name."""
    stmt = select(Student).order_by(col(Student.name), col(Student.email))
    if active_only:
        stmt = stmt.where(Student.status == "active")
    return session.exec(stmt).all()


def roster_and_links(*, session: Session) -> tuple[Sequence[Student], Sequence[IdentityLink]]:
    """Every student and every TA link: what Zoom participants are matched against."""
    return session.exec(select(Student)).all(), session.exec(select(IdentityLink)).all()


def linked_student(*, session: Session, kind: str, value: str) -> int | None:
    """The student a (kind, normalised value) link points to, if any."""
    stmt = select(IdentityLink.student_id).where(IdentityLink.kind == kind, IdentityLink.value == value)
    return session.exec(stmt).first()


def question_counts(*, session: Session, student_id: int | None = None) -> dict[tuple[int, int], int]:
    """Questions per (student_id, week): everyone's, or one student's."""
    stmt = select(Question.student_id, Question.week, func.count()).group_by(
        col(Question.student_id), col(Question.week)
    )
    if student_id is not None:
        stmt = stmt.where(Question.student_id == student_id)
    return {(sid, week): n for sid, week, n in session.exec(stmt).all()}


def reflections_late(*, session: Session, student_id: int | None = None) -> dict[tuple[int, int], bool]:
    """Whether each (student_id, week) reflection was late: everyone's, or one student's."""
    stmt = select(Reflection.student_id, Reflection.week, Reflection.late)
    if student_id is not None:
        stmt = stmt.where(Reflection.student_id == student_id)
    return {(sid, week): late for sid, week, late in session.exec(stmt).all()}


def excuse_reasons(*, session: Session, student_id: int | None = None) -> dict[tuple[int, int], str]:
    """Excuse reasons per (student_id, week): everyone's, or one student's."""
    stmt = select(Excuse.student_id, Excuse.week, Excuse.reason)
    if student_id is not None:
        stmt = stmt.where(Excuse.student_id == student_id)
    return {(sid, week): reason for sid, week, reason in session.exec(stmt).all()}


def week_reflections(*, session: Session, week: int) -> Sequence[Reflection]:
    """Every reflection of one week (one per student: the table's unique key)."""
    return session.exec(select(Reflection).where(Reflection.week == week)).all()


def recordings_watched(*, session: Session, student_id: int | None = None) -> set[tuple[int, int]]:
    """(student_id, week) pairs whose recording the student said they watched (or one student's)."""
    stmt = select(RecordingWatched.student_id, RecordingWatched.week)
    if student_id is not None:
        stmt = stmt.where(RecordingWatched.student_id == student_id)
    return {(sid, week) for sid, week in session.exec(stmt).all()}


def recording_links(*, session: Session) -> dict[int, str]:
    """Recording URLs set by TAs, per week."""
    return {r.week: r.url for r in session.exec(select(RecordingLink)).all()}


def record_ta_action(
    *, session: Session, ta_user_id: str, action: str, detail: dict[str, object]
) -> TaAction:
    """Append one TA change to the audit trail."""
    row = TaAction(ta_user_id=ta_user_id, action=action, detail=json.dumps(detail, sort_keys=True))
    session.add(row)
    return row
