"""Who is on track for credit: each student's weeks, totals and standing, the one computation
`/standing`, App Home, the tally, the scheduler and reports share (README "What students see")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from rules.course import Course, Week
from rules.presence import PresenceTable, UnmatchedPresence

ReflectionState = Literal["on_time", "late", "missing", "not_due"]
Standing = Literal["on_track", "at_risk", "no_credit"]
Credit = Literal["CR", "NC", "pending"]
Key = tuple[int, int]  # (student id, week)


class Enrolled(Protocol):
    """A roster student, as records show them."""

    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def slack_user_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class WeekRecord:
    """One student's week, with the field names `report --format json` uses."""

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
        """This week as `report --format json` shows it."""
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

    student: Enrolled
    weeks: list[WeekRecord]
    absences: int
    questions: int
    reflections: int
    standing: Standing
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """This student as `report --format json` shows them."""
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
        """The `report --format json` object."""
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
class Facts:
    """What happened, as plain data: presence, questions, reflections (late?), excuses (reason), watched."""

    presence: PresenceTable
    questions: dict[Key, int]
    late: dict[Key, bool]
    excuses: dict[Key, str]
    watched: set[Key]


def class_record(course: Course, now: datetime, students: Sequence[Enrolled], facts: Facts) -> ClassRecord:
    """Every student's record at `now`."""
    records = [_student_record(course, now, s, facts) for s in students]
    return ClassRecord(course, now, records, facts.presence.unmatched)


def _student_record(course: Course, now: datetime, student: Enrolled, facts: Facts) -> StudentRecord:
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


def _week_record(course: Course, now: datetime, sid: int, week: Week, facts: Facts) -> WeekRecord:
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
        reflection=_reflection_state(course, now, week, facts.late.get((sid, n))),
        absent=ended and not (web_present and disc_present),
        excused=excuse is not None,
        excuse_reason=excuse or "",
        recording_watched=(sid, n) in facts.watched,
    )


def _reflection_state(course: Course, now: datetime, week: Week, late: bool | None) -> ReflectionState:
    if late is not None:
        return "late" if late else "on_time"
    return "missing" if now >= course.reflection_due(week) else "not_due"


def standing_of(course: Course, ended: list[WeekRecord], absences: int) -> tuple[Standing, list[str]]:
    """The credit rules over the ended weeks (README "What students see"); the reasons say what to do."""
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


def credit_of(record: StudentRecord) -> Credit:
    """The gradebook's verdict (README "Command line"): `NC` once absences are past the limit; else
    `pending` while a week has not ended or a reflection is not yet due; then `CR` only when on track."""
    if record.standing == "no_credit":
        return "NC"
    if any(not w.ended or w.reflection == "not_due" for w in record.weeks):
        return "pending"
    return "CR" if record.standing == "on_track" else "NC"
