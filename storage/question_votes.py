"""Upvotes on questions and each question's state (asked, and its message's edit version).

Every function runs in the caller's transaction. A vote is one row per (question, student):
`insert_once` settles two presses racing, and pressing again deletes the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from storage import edit_slots
from storage.db import changed_one_row, insert_once
from storage.models import Question, QuestionState, QuestionVote, Student


@dataclass(frozen=True)
class QuestionRow:
    """A question as the queue, the brief and its channel message show it."""

    id: int
    week: int
    asker: str
    text: str
    asked_at: datetime
    votes: int
    marked_asked_at: datetime | None


def get_question(*, session: Session, question_id: int) -> Question | None:
    """The question with this id."""
    return session.get(Question, question_id)


def toggle_vote(*, session: Session, question_id: int, student_id: int, now: datetime) -> bool:
    """Vote, or withdraw the vote the student already has; True when the student now has a vote."""
    vote = QuestionVote(question_id=question_id, student_id=student_id, voted_at=now)
    if insert_once(session, vote, key=("question_id", "student_id")):
        return True
    session.execute(
        delete(QuestionVote).where(
            col(QuestionVote.question_id) == question_id, col(QuestionVote.student_id) == student_id
        )
    )
    return False


def bump(*, session: Session, question_id: int) -> int:
    """Record that the question's message must change (creating its state once); the new version."""
    return edit_slots.bump(session=session, table=QuestionState, key=question_id)


def state(*, session: Session, question_id: int) -> QuestionState | None:
    """The question's state row (None until someone voted or a TA marked it)."""
    return session.get(QuestionState, question_id)


def mark_asked(*, session: Session, question_id: int, ta_user_id: str, now: datetime) -> bool:
    """Mark the question asked; False when it already was (the first mark stands)."""
    bump(session=session, question_id=question_id)
    stmt = (
        update(QuestionState)
        .where(col(QuestionState.question_id) == question_id, col(QuestionState.asked_at).is_(None))
        .values(asked_at=now, asked_by=ta_user_id)
    )
    return changed_one_row(session, stmt)


def question_row(*, session: Session, question_id: int) -> QuestionRow | None:
    """One question with its asker, vote count and mark."""
    rows = _rows(session, col(Question.id) == question_id)
    return rows[0] if rows else None


def week_rows(*, session: Session, week: int) -> Sequence[QuestionRow]:
    """Every question of the week with its asker, vote count and mark (unranked)."""
    return _rows(session, col(Question.week) == week)


def _rows(session: Session, where: object) -> list[QuestionRow]:
    votes = (
        select(QuestionVote.question_id, func.count().label("n"))
        .group_by(col(QuestionVote.question_id))
        .subquery()
    )
    stmt = (
        select(Question, Student.name, votes.c.n, QuestionState.asked_at)
        .join(Student, col(Student.id) == col(Question.student_id))
        .outerjoin(votes, votes.c.question_id == col(Question.id))
        .outerjoin(QuestionState, col(QuestionState.question_id) == col(Question.id))
        .where(where)  # type: ignore[arg-type]
    )
    return [
        QuestionRow(q.id or 0, q.week, name, q.text, q.asked_at, int(n or 0), asked)
        for q, name, n, asked in session.exec(stmt).all()
    ]
