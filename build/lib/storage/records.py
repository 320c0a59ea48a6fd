"""Standing and the class record: the one computation `/standing`, App Home and reports share."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session

from storage import queries
from storage.course import Course, Week
from storage.models import Student
from storage.presence import PresenceTable, UnmatchedPresence, compute_presence

ReflectionState = Literal["on_time", "late", "missing", "not_due"]
Standing = Literal["on_track", "at_risk", "no_credit"]


@dataclass(frozen=True)
class WeekRecord:
    """One student's week, as spec §10 names the fields."""

    week: int
    ended: bool
    webinar_minutes: int
    webinar_present: bool
    discussion_minutes: int
    discussion_present: bool
    questions: int
    reflection: ReflectionState
    absent: bool
    excused: bool
    excuse_reason: str
    recording_watched: bool

    def as_json(self) -> dict[str, Any]:
        """The §10 JSON object for this week."""
        return {
            "week": self.week,
            "webinar_minutes": self.webinar_minutes,
            "webinar_present": self.webinar_present,
            "discussion_minutes": self.discussion_minutes,
            "discussion_present": self.discussion_present,
            "questions": self.questions,
            "reflection": self.reflection,
            "absent": self.absent,
            "excused": self.excused,
            "recording_watched": self.recording_watched,
        }


@dataclass
class StudentRecord:
    """A student's whole record, totals and standing with the reasons behind it."""

    student: Student
    weeks: list[WeekRecord]
    absences: int
    questions: int
    reflections: int
    standing: Standing
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The §10 JSON object for this student."""
        s = self.student
        return {
            "email": s.email,
            "name": s.name,
            "slack_user_id": s.slack_user_id,
            "status": s.status,
            "weeks": [w.as_json() for w in self.weeks],
            "absences": self.absences,
            "questions": self.questions,
            "reflections": self.reflections,
            "standing": self.standing,
        }


@dataclass
class ClassRecord:
    """Every student and every week at one instant."""

    course: Course
    generated_at: datetime
    students: list[StudentRecord]
    unmatched: list[UnmatchedPresence]

    def as_json(self) -> dict[str, Any]:
        """The `report --format json` object of spec §10."""
        return {
            "course": self.course.name,
            "generated_at": self.generated_at.isoformat(),
            "weeks": [
                {
                    "week": w.number,
                    "date": w.date.isoformat(),
                    "speaker": w.speaker,
                    "title": w.title,
                    "ended": self.course.ended(w, self.generated_at),
                }
                for w in self.course.weeks
            ],
            "students": [r.as_json() for r in self.students],
            "unmatched": [
                {
                    "week": u.week,
                    "part": u.part,
                    "name": u.name,
                    "email": u.email,
                    "minutes": math.floor(u.minutes),
                }
                for u in self.unmatched
            ],
        }


@dataclass(frozen=True)
class _Facts:
    """Everything loaded from the database once, for every student."""

    presence: PresenceTable
    questions: dict[tuple[int, int], int]
    reflections: dict[tuple[int, int], Any]
    excuses: dict[tuple[int, int], Any]
    watched: set[tuple[int, int]]


def class_record(
    *, session: Session, course: Course, now: datetime, student_ids: set[int] | None = None
) -> ClassRecord:
    """Compute the record of every student (or only `student_ids`) at `now`."""
    facts = _Facts(
        presence=compute_presence(session=session, course=course, now=now),
        questions=queries.question_counts(session=session),
        reflections=queries.reflections_by_key(session=session),
        excuses=queries.excuses_by_key(session=session),
        watched=queries.recordings_watched(session=session),
    )
    students = [
        s for s in queries.list_students(session=session) if student_ids is None or s.id in student_ids
    ]
    records = [_student_record(course, now, s, facts) for s in students]
    return ClassRecord(course, now, records, facts.presence.unmatched)


def student_record(*, session: Session, course: Course, now: datetime, student: Student) -> StudentRecord:
    """One student's record (what `/standing` and App Home show)."""
    assert student.id is not None
    record = class_record(session=session, course=course, now=now, student_ids={student.id})
    return record.students[0]


def _student_record(course: Course, now: datetime, student: Student, facts: _Facts) -> StudentRecord:
    assert student.id is not None
    weeks = [_week_record(course, now, student.id, w, facts) for w in course.weeks]
    ended = [w for w in weeks if w.ended]
    absences = sum(1 for w in ended if w.absent and not w.excused)
    standing, reasons = standing_of(course, ended, absences)
    return StudentRecord(
        student=student,
        weeks=weeks,
        absences=absences,
        questions=sum(w.questions for w in weeks),
        reflections=sum(1 for w in weeks if w.reflection in ("on_time", "late")),
        standing=standing,
        reasons=reasons,
    )


def _week_record(course: Course, now: datetime, sid: int, week: Week, facts: _Facts) -> WeekRecord:
    policy = course.policy
    n = week.number
    web = facts.presence.minutes.get((sid, n, "webinar"), 0.0)
    disc = facts.presence.minutes.get((sid, n, "discussion"), 0.0)
    web_present = web >= policy.min_presence * week.webinar.minutes
    disc_present = disc >= policy.min_presence * week.discussion.minutes
    ended = course.ended(week, now)
    excuse = facts.excuses.get((sid, n))
    return WeekRecord(
        week=n,
        ended=ended,
        webinar_minutes=math.floor(web),
        webinar_present=web_present,
        discussion_minutes=math.floor(disc),
        discussion_present=disc_present,
        questions=facts.questions.get((sid, n), 0),
        reflection=_reflection_state(course, now, week, facts.reflections.get((sid, n))),
        absent=ended and not (web_present and disc_present),
        excused=excuse is not None,
        excuse_reason=excuse.reason if excuse is not None else "",
        recording_watched=(sid, n) in facts.watched,
    )


def _reflection_state(course: Course, now: datetime, week: Week, reflection: Any) -> ReflectionState:
    if reflection is not None:
        return "late" if reflection.late else "on_time"
    return "missing" if now >= course.reflection_due(week) else "not_due"


def standing_of(course: Course, ended: list[WeekRecord], absences: int) -> tuple[Standing, list[str]]:
    """Spec §8 over the ended weeks; the reasons say what to do about it."""
    policy = course.policy
    if absences > policy.max_absences:
        return "no_credit", [
            f"{absences} unexcused absences, more than the {policy.max_absences} allowed; talk to a TA."
        ]
    reasons: list[str] = []
    if absences and absences == policy.max_absences:
        reasons.append(f"{absences} of {policy.max_absences} allowed absences used: one more is no credit.")
    for w in ended:
        if w.absent and not w.excused and not w.recording_watched:
            reasons.append(f"Week {w.week}: missed; watch the recording and tell the bot.")
        if not w.absent and w.questions < policy.min_questions:
            reasons.append(f"Week {w.week}: {w.questions} of {policy.min_questions} questions asked.")
        if w.reflection == "missing":
            reasons.append(f"Week {w.week}: reflection missing; send it with /reflect.")
    return ("at_risk" if reasons else "on_track"), reasons
