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

from storage import outbox
from storage.db import session_scope
from storage.models import Question, RecordingWatched, Reflection, Student

T = TypeVar("T")
ReflectionOutcome = Literal["created", "replaced", "kept_on_time"]


@dataclass(frozen=True)
class QuestionSaved:
    """Whether this delivery stored the question, the student's count for the week, and the
    outbox key of its questions-channel copy (None when no copy was recorded by this delivery)."""

    created: bool
    count: int
    copy_key: str | None = None


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
    copy_to: str | None = None,
    wall: datetime | None = None,
) -> QuestionSaved:
    """Store the question exactly once per `dedup_key` (a retried delivery changes nothing).

    With `copy_to`, the copy for that channel is recorded in the outbox in the same transaction
    (claimable from `wall`), so a stored question's copy is never forgotten.
    """

    def work(session: Session) -> QuestionSaved:
        existing = session.exec(select(Question).where(Question.dedup_key == dedup_key)).first()
        copy_key = None
        if existing is None:
            question = Question(
                student_id=student_id,
                week=week,
                text=text,
                asked_at=asked_at,
                dedup_key=dedup_key,
                channel_id=channel_id,
            )
            session.add(question)
            session.flush()
            if copy_to:
                assert question.id is not None and wall is not None
                copy_key = question_copy_key(question.id)
                envelope = outbox.Envelope(copy_key, outbox.QUESTION_COPY, copy_to, week, student_id)
                outbox.add_intent(session=session, envelope=envelope, at=wall)
        count = question_count(session=session, student_id=student_id, week=week)
        return QuestionSaved(existing is None, count, copy_key)

    return _once(engine, work)


def question_copy_key(question_id: int) -> str:
    """The outbox key of a question's questions-channel copy."""
    return f"{outbox.QUESTION_COPY}:q{question_id}"


def question_id_of(copy_key: str) -> int:
    """The question a copy's outbox key names."""
    return int(copy_key.rsplit(":q", 1)[1])


def question_copy(*, session: Session, question_id: int) -> tuple[Question, str] | None:
    """The question and its asker's name, for the copy."""
    row = session.exec(
        select(Question, Student.name)
        .join(Student, Student.id == Question.student_id)  # type: ignore[arg-type]
        .where(Question.id == question_id)
    ).first()
    return None if row is None else (row[0], row[1])


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
