"""What students send: questions, reflections and recording attestations, each stored once.

Each function runs in the caller's transaction and is safe against duplicate deliveries and
races: a unique key decides who inserts (`insert_once`), and the loser reads what the winner stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, func, select

from storage import outbox
from storage.db import insert_once
from storage.models import Question, RecordingWatched, Reflection

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


def save_question(
    *,
    session: Session,
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

    question = Question(
        student_id=student_id,
        week=week,
        text=text,
        asked_at=asked_at,
        dedup_key=dedup_key,
        channel_id=channel_id,
    )
    created = insert_once(session, question, key="dedup_key")
    copy_key = None
    if created and copy_to:
        question_id = session.exec(select(Question.id).where(Question.dedup_key == dedup_key)).one()
        assert question_id is not None and wall is not None
        copy_key = question_copy_key(question_id)
        envelope = outbox.Envelope(copy_key, outbox.QUESTION_COPY, copy_to, week, student_id)
        outbox.add_intent(session=session, envelope=envelope, at=wall)
    count = question_count(session=session, student_id=student_id, week=week)
    return QuestionSaved(created, count, copy_key)


def question_copy_key(question_id: int) -> str:
    """The outbox key of a question's questions-channel copy."""
    return f"{outbox.QUESTION_COPY}:q{question_id}"


def question_id_of(copy_key: str) -> int:
    """The question a copy's outbox key names."""
    return int(copy_key.rsplit(":q", 1)[1])


def question_count(*, session: Session, student_id: int, week: int) -> int:
    """How many questions the student asked in the week's window."""
    stmt = select(func.count()).where(Question.student_id == student_id, Question.week == week)
    return int(session.exec(stmt).one())


def get_reflection(*, session: Session, student_id: int, week: int) -> Reflection | None:
    """The student's reflection for the week."""
    stmt = select(Reflection).where(Reflection.student_id == student_id, Reflection.week == week)
    return session.exec(stmt).first()


def save_reflection(
    *,
    session: Session,
    student_id: int,
    week: int,
    text: str,
    sentences: int,
    now: datetime,
    due: datetime,
) -> ReflectionSaved:
    """Before `due`: insert or replace. After: store as late, but never overwrite on-time text."""
    late = now >= due
    row = get_reflection(session=session, student_id=student_id, week=week)
    if row is None:
        new = Reflection(
            student_id=student_id, week=week, text=text, sentences=sentences, late=late, submitted_at=now
        )
        if insert_once(session, new, key=("student_id", "week")):
            created = get_reflection(session=session, student_id=student_id, week=week)
            assert created is not None
            return ReflectionSaved("created", created)
        row = get_reflection(session=session, student_id=student_id, week=week)  # a twin delivery won
        assert row is not None
    if late and not row.late:
        return ReflectionSaved("kept_on_time", row)
    row.text, row.sentences, row.late, row.submitted_at = text, sentences, late, now
    session.add(row)
    session.flush()
    return ReflectionSaved("replaced", row)


def save_recording_watched(*, session: Session, student_id: int, week: int, now: datetime) -> bool:
    """Record that the student watched the week's recording; False when it was already recorded."""
    row = RecordingWatched(student_id=student_id, week=week, watched_at=now)
    return insert_once(session, row, key=("student_id", "week"))
