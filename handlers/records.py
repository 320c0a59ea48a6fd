"""The records at an instant: what storage holds, through the rules, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from rules.course import Course
from rules.credit import ClassRecord, Facts, StudentRecord
from rules.credit import class_record as records_of
from rules.identity import Matcher
from rules.presence import PresenceTable, UnmatchedPresence, presence_from_marks
from rules.tally_summary import WeekSummary, summary_from_record
from storage import queries
from storage.backfills import for_week
from storage.models import Student
from storage.zoom_store import presence_marks


def compute_presence(*, session: Session, course: Course, now: datetime) -> PresenceTable:
    """Minutes per student, week and part from every stored Zoom row of the course's two ids."""
    zoom_ids = [sched.zoom_id for sched in course.schedule.values()]
    marks = presence_marks(session=session, zoom_ids=zoom_ids)
    matcher = Matcher(*queries.roster_and_links(session=session))
    return presence_from_marks(marks, course=course, now=now, match=matcher.match)


def unmatched_identities(
    *, session: Session, course: Course, now: datetime, week: int | None = None
) -> list[UnmatchedPresence]:
    """What `/seminar unmatched [week]` lists: identities no student matched, with minutes."""
    table = compute_presence(session=session, course=course, now=now)
    return [u for u in table.unmatched if week is None or u.week == week]


def class_record(
    *, session: Session, course: Course, now: datetime, student_ids: set[int] | None = None
) -> ClassRecord:
    """The record of every student (or only `student_ids`) at `now`."""
    facts = Facts(
        presence=compute_presence(session=session, course=course, now=now),
        questions=queries.question_counts(session=session),
        late={key: r.late for key, r in queries.reflections_by_key(session=session).items()},
        excuses={key: e.reason for key, e in queries.excuses_by_key(session=session).items()},
        watched=queries.recordings_watched(session=session),
    )
    students = [
        s for s in queries.list_students(session=session) if student_ids is None or s.id in student_ids
    ]
    return records_of(course, now, students, facts)


def student_record(*, session: Session, course: Course, now: datetime, student: Student) -> StudentRecord:
    """One student's record (what `/standing` and App Home show)."""
    assert student.id is not None
    record = class_record(session=session, course=course, now=now, student_ids={student.id})
    return record.students[0]


def summarize_week(*, session: Session, course: Course, now: datetime, week: int, final: bool) -> WeekSummary:
    """The tally of `week` at `now`; final once the discussion ended (or a TA finalised it)."""
    record = class_record(session=session, course=course, now=now)
    wk = course.weeks[week - 1]
    summary = summary_from_record(record, wk, now, final=final or course.ended(wk, now))
    summary.backfills = list(for_week(session=session, week=week))
    return summary
