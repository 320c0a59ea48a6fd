"""What is due at an instant, computed from the calendar and the database (README "Scheduled messages").

- After a week's discussion ends: a reflection prompt to each active student who has not
  reflected, until 24 hours before the due time; from then until the due time a reminder
  replaces it (so a student never gets both at once after downtime, and nothing after the due time).
- 15 minutes after the discussion ends (late Zoom events are in by then), until the reflection
  is due: an absence notice to each active student absent from either part, not excused and
  not yet marked watched, with the recording link when known.
- When a TA posts a recording later: the link, once, to students whose notice had none.
- An hour after each discussion ends (questions count until 15 minutes after): one TA digest
  naming the students whose standing got worse since the previous week's digest. Only the
  latest week's digest is ever due, so downtime never produces a burst of stale digests.
- When /ask closes, until the week's reflections are due: the question brief, one file to the
  TA channel. When the reflections are due, for a week after: the reflection digest, one file.
  Outside those windows neither is due, so starting mid-course sends no stale files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from handlers.records import class_record
from handlers.slack.views import prompts
from handlers.slack.views.prompts import Message, StandingChange
from handlers.week_files import WeekFile, question_brief, reflection_digest
from rules.course import PARTS, Course, Week
from rules.credit import StudentRecord
from storage import outbox, queries
from storage.outbox import Envelope, MessageState

PROMPT = "reflection_prompt"
REMINDER = "reflection_reminder"
NOTICE = "absence_notice"
NOTICE_NO_LINK = "absence_notice_no_link"
LINK = "recording_link"
DIGEST = "ta_digest"
BRIEF = "question_brief"
REFLECTIONS = "reflection_digest"
ORDER = (REMINDER, PROMPT, NOTICE, NOTICE_NO_LINK, LINK, DIGEST, BRIEF, REFLECTIONS)

REMINDER_LEAD = timedelta(hours=24)
NOTICE_DELAY = timedelta(minutes=15)
DIGEST_DELAY = timedelta(hours=1)
FILE_WINDOW = timedelta(days=7)  # how long after its reflections fall due a week's digest may still go
RANK = {"on_track": 0, "at_risk": 1, "no_credit": 2}


@dataclass(frozen=True)
class Outgoing:
    """One message to send: what the outbox records and what Slack receives."""

    envelope: Envelope
    message: Message
    to: str = ""
    file: WeekFile | None = None  # uploaded, with `message` as its comment

    @property
    def label(self) -> str:
        """The key and who it is for, for summaries and logs."""
        return f"{self.envelope.key} ({self.to})" if self.to else self.envelope.key


def reminder_time(course: Course, week: Week) -> datetime:
    """24 real hours before the due time (computed in UTC, so a DST change can't shift it)."""
    return course.reflection_due(week).astimezone(UTC) - REMINDER_LEAD


def notice_time(week: Week) -> datetime:
    """When a week's absence notices become due."""
    return week.discussion.end.astimezone(UTC) + NOTICE_DELAY


def digest_time(week: Week) -> datetime:
    """When a week's TA digest becomes due."""
    return week.discussion.end.astimezone(UTC) + DIGEST_DELAY


def boundaries(course: Course, week: Week) -> tuple[datetime, ...]:
    """Every instant at which something of this week may become due or stop being due."""
    end = week.discussion.end.astimezone(UTC)
    due = course.reflection_due(week).astimezone(UTC)
    closes = week.ask_window.end.astimezone(UTC)
    reminder, digest = reminder_time(course, week), digest_time(week)
    return (end, notice_time(week), closes, reminder, due, digest, due + FILE_WINDOW)


def next_boundary(course: Course, now: datetime) -> datetime | None:
    """The first calendar boundary after `now` (None once the course is over)."""
    later = [b for w in course.weeks for b in boundaries(course, w) if b > now]
    return min(later, default=None)


def due_messages(*, session: Session, course: Course, now: datetime) -> list[Outgoing]:
    """Every message due at `now` that the outbox has not settled (sent or failed)."""
    state = outbox.states(session=session)
    record = class_record(session=session, course=course, now=now)
    links = _recording_links(session, course)
    ended = [w for w in course.weeks if course.ended(w, now)]
    found: list[Outgoing] = []
    for week in ended:
        for rec in record.students:
            if rec.student.status == "active" and rec.student.slack_user_id:
                found += _reflection(course, now, week, rec)
                found += _absence(course, now, week, rec, links.get(week.number), state)
    found += _digest(session, course, now, record.students, state)
    found += _week_files(session, course, now, state)
    pending = [o for o in found if _open(state.get(o.envelope.key))]
    return sorted(pending, key=lambda o: ORDER.index(o.envelope.kind))


def message_key(kind: str, week: int, student_id: int | None = None) -> str:
    """The outbox key: one message of a kind per week (and per student)."""
    base = NOTICE if kind == NOTICE_NO_LINK else kind
    return f"{base}:w{week}" + (f":s{student_id}" if student_id is not None else "")


def _open(state: MessageState | None) -> bool:
    return state is None or state.status == outbox.CLAIMED


def _recording_links(session: Session, course: Course) -> dict[int, str]:
    """A TA's link wins over the course file's."""
    links = {w.number: w.recording_url for w in course.weeks if w.recording_url}
    links.update(queries.recording_links(session=session))
    return links


def _dm(kind: str, week: Week, rec: StudentRecord, message: Message) -> Outgoing:
    sid, channel = rec.student.id, rec.student.slack_user_id
    assert sid is not None and channel
    envelope = Envelope(message_key(kind, week.number, sid), kind, channel, week.number, sid)
    return Outgoing(envelope, message, rec.student.name)


def _reflection(course: Course, now: datetime, week: Week, rec: StudentRecord) -> list[Outgoing]:
    due = course.reflection_due(week)
    if rec.weeks[week.number - 1].reflection != "not_due" or now >= due:
        return []
    if now < reminder_time(course, week):
        return [_dm(PROMPT, week, rec, prompts.reflection_prompt(course, week, due))]
    return [_dm(REMINDER, week, rec, prompts.reflection_reminder(course, week, due))]


def _absence(
    course: Course,
    now: datetime,
    week: Week,
    rec: StudentRecord,
    link: str | None,
    state: dict[str, MessageState],
) -> list[Outgoing]:
    wr = rec.weeks[week.number - 1]
    if not wr.absent or wr.excused or wr.recording_watched:
        return []
    told = state.get(message_key(NOTICE, week.number, rec.student.id))
    if told is not None and told.status == outbox.SENT:
        if link and told.kind == NOTICE_NO_LINK:
            return [_dm(LINK, week, rec, prompts.recording_link(course, week, link))]
        return []
    if notice_time(week) <= now < course.reflection_due(week):
        presence = (wr.webinar_present, wr.discussion_present)
        missed = [p for p, present in zip(PARTS, presence, strict=True) if not present]
        kind = NOTICE if link else NOTICE_NO_LINK
        return [_dm(kind, week, rec, prompts.absence_notice(course, week, missed, link))]
    return []


def _digest(
    session: Session,
    course: Course,
    now: datetime,
    students: list[StudentRecord],
    state: dict[str, MessageState],
) -> list[Outgoing]:
    """The latest week's digest, comparing standing now with standing at the previous digest."""
    week = next((w for w in reversed(course.weeks) if digest_time(w) <= now), None)
    if week is None or not _open(state.get(message_key(DIGEST, week.number))):
        return []
    active = [r for r in students if r.student.status == "active"]
    before: dict[int | None, str] = {}
    previous = course.week(week.number - 1)
    if previous is not None:
        earlier = class_record(session=session, course=course, now=digest_time(previous))
        before = {r.student.id: r.standing for r in earlier.students}
    changes = [
        StandingChange(r.student.name, r.standing, tuple(r.reasons))
        for r in active
        if RANK[r.standing] > RANK[before.get(r.student.id, "on_track")]
    ]
    changes.sort(key=lambda c: -RANK[c.standing])
    totals: dict[str, int] = dict(Counter(r.standing for r in active))
    envelope = Envelope(message_key(DIGEST, week.number), DIGEST, course.ta_channel, week.number)
    return [Outgoing(envelope, prompts.ta_digest(course, week, changes, totals), "TA channel")]


def _week_files(
    session: Session, course: Course, now: datetime, state: dict[str, MessageState]
) -> list[Outgoing]:
    """Each week's question brief (from /ask's close) and reflection digest (from the due time)."""
    found: list[Outgoing] = []
    for week in course.weeks:
        due = course.reflection_due(week)
        brief_key, digest_key = message_key(BRIEF, week.number), message_key(REFLECTIONS, week.number)
        if week.ask_window.end <= now < due and _open(state.get(brief_key)):
            brief = question_brief(session=session, course=course, week=week)
            found.append(_to_tas(course, BRIEF, week, brief, prompts.brief_comment(week)))
        if due <= now < due + FILE_WINDOW and _open(state.get(digest_key)):
            digest = reflection_digest(session=session, course=course, week=week)
            found.append(_to_tas(course, REFLECTIONS, week, digest, prompts.reflections_comment(week)))
    return found


def _to_tas(course: Course, kind: str, week: Week, file: WeekFile, comment: str) -> Outgoing:
    envelope = Envelope(message_key(kind, week.number), kind, course.ta_channel, week.number)
    return Outgoing(envelope, Message(comment), "TA channel", file)
