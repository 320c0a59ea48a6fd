"""The week's two files for the TA channel, from storage through rules/: the question brief and
the reflection digest. The scheduler uploads them (handlers/schedule/due.py) and the CLI prints them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from rules.course import Course, Week
from rules.week_markdown import RankedQuestion, WeekReflection, brief_markdown, digest_markdown, ranked
from storage import queries
from storage.question_votes import QuestionRow, week_rows


@dataclass(frozen=True)
class WeekFile:
    """A file to upload: its name, title and Markdown content."""

    filename: str
    title: str
    content: str


def as_ranked(row: QuestionRow) -> RankedQuestion:
    """A stored question as the ranking reads it."""
    asked = row.marked_asked_at is not None
    return RankedQuestion(row.id, row.asker, row.text, row.asked_at, row.votes, asked)


def ranked_questions(*, session: Session, week: int) -> list[RankedQuestion]:
    """The week's questions, ranked by votes (ties: earlier first)."""
    return ranked(as_ranked(row) for row in week_rows(session=session, week=week))


def question_brief(*, session: Session, course: Course, week: Week) -> WeekFile:
    """The week's questions, ranked, ready to forward to the speaker."""
    questions = ranked_questions(session=session, week=week.number)
    content = brief_markdown(course.name, week, questions, course.timezone)
    return WeekFile(f"questions-week{week.number}.md", f"Week {week.number} questions, ranked", content)


def reflection_digest(*, session: Session, course: Course, week: Week) -> WeekFile:
    """Every reflection of the week (on time or late) and the active students with none."""
    students = {s.id: s for s in queries.list_students(session=session)}
    stored = queries.week_reflections(session=session, week=week.number)
    reflections = [
        WeekReflection(students[r.student_id].name, r.text, r.late, r.submitted_at)
        for r in stored
        if r.student_id in students
    ]
    have = {r.student_id for r in stored}
    missing = [s.name for s in students.values() if s.status == "active" and s.id not in have]
    due = course.reflection_due(week)
    content = digest_markdown(course.name, week, due, reflections, missing, course.timezone)
    return WeekFile(f"reflections-week{week.number}.md", f"Week {week.number} reflections", content)
