"""What students send: questions, reflections and recording attestations, each stored once.

Each function is one unit of work on the engine, safe against duplicate deliveries and races
(a unique constraint decides; the loser re-reads what the winner stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from storage.db import session_scope
from storage.models import Question, RecordingWatched, Reflection

T = TypeVar("T")
ReflectionOutcome = Literal["created", "replaced", "kept_on_time"]


@dataclass(frozen=True)
class QuestionSaved:
    """Whether this delivery stored the question, and the student's count for the week."""

    created: bool
    count: int


@dataclass(frozen=True)
class ReflectionSaved:
    """What happened to the reflection, and the row as it now stands."""

    outcome: ReflectionOutcome
    reflection: Reflection


def _once(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in a unit of work; after a unique-constraint race, run it again to re-read."""
    try:
        with session_scope(engine) as session:
            return work(session)
    except IntegrityError:
        with session_scope(engine) as session:
            return work(session)


def save_question(
    engine: Engine,
    *,
    student_id: int,
    week: int,
    text: str,
    asked_at: datetime,
    dedup_key: str,
    channel_id: str | None,
) -> QuestionSaved:
    """Store the question exactly once per `dedup_key` (a retried delivery changes nothing)."""

    def work(session: Session) -> QuestionSaved:
        existing = session.exec(select(Question).where(Question.dedup_key == dedup_key)).first()
        if existing is None:
            session.add(
                Question(
                    student_id=student_id,
                    week=week,
                    text=text,
                    asked_at=asked_at,
                    dedup_key=dedup_key,
                    channel_id=channel_id,
                )
            )
            session.flush()
        count = question_count(session=session, student_id=student_id, week=week)
        return QuestionSaved(existing is None, count)

    return _once(engine, work)


def question_count(*, session: Session, student_id: int, week: int) -> int:
    """How many questions the student asked in the week's window."""
    stmt = select(func.count()).where(Question.student_id == student_id, Question.week == week)
    return int(session.exec(stmt).one())


def get_reflection(*, session: Session, student_id: int, week: int) -> Reflection | None:
    """The student's reflection for the week."""
    stmt = select(Reflection).where(Reflection.student_id == student_id, Reflection.week == week)
    return session.exec(stmt).first()


def save_reflection(
    engine: Engine,
    *,
    student_id: int,
    week: int,
    text: str,
    sentences: int,
    now: datetime,
    due: datetime,
) -> ReflectionSaved:
    """Before `due`: insert or replace. After: store as late, but never overwrite on-time text."""
    late = now >= due

    def work(session: Session) -> ReflectionSaved:
        row = get_reflection(session=session, student_id=student_id, week=week)
        if row is not None and late and not row.late:
            return ReflectionSaved("kept_on_time", row)
        outcome: ReflectionOutcome = "created" if row is None else "replaced"
        row = row or Reflection(student_id=student_id, week=week)
        row.text, row.sentences, row.late, row.submitted_at = text, sentences, late, now
        session.add(row)
        session.flush()
        return ReflectionSaved(outcome, row)

    return _once(engine, work)


def save_recording_watched(engine: Engine, *, student_id: int, week: int, now: datetime) -> bool:
    """Record that the student watched the week's recording; False when it was already recorded."""

    def work(session: Session) -> bool:
        stmt = select(RecordingWatched).where(
            RecordingWatched.student_id == student_id, RecordingWatched.week == week
        )
        if session.exec(stmt).first() is not None:
            return False
        session.add(RecordingWatched(student_id=student_id, week=week, watched_at=now))
        session.flush()
        return True

    return _once(engine, work)
