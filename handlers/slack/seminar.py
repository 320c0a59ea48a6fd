"""Slack: `/seminar`, the TAs' tools — tally, report, export, unmatched, match, excuse, recording, queue."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from handlers.deps import Deps
from handlers.records import class_record, student_record, summarize_week
from handlers.schedule.tally_worker import TallyError
from handlers.slack.accounts import is_ta
from handlers.slack.after_ack import committed
from handlers.slack.queue import queue_reply
from handlers.slack.seminar_args import USAGE, Command, UsageError, parse
from handlers.slack.student_ref import Unresolved, find_student
from handlers.slack.views import seminar_replies as views
from handlers.slack.views.common import SAVED_THEN_ERROR
from handlers.slack.views.tally_message import tally_message
from handlers.zoom.identities import match_identity
from rules.course import PARTS, Week
from rules.credit import ClassRecord
from rules.export import to_csv, to_table
from rules.identity import same_identity
from rules.presence import UnmatchedPresence
from storage import ta_changes
from storage.db import session_scope
from storage.models import Student

logger = logging.getLogger(__name__)
Replies = list[views.Reply]
T = TypeVar("T")


def register(app: App) -> None:
    """Register this module's listeners."""
    app.command("/seminar")(seminar)


def seminar(
    ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Check the TA, parse, acknowledge at once, then do the work and reply ephemerally."""
    deps: Deps = context["deps"]
    user_id = str(command.get("user_id", ""))
    if not is_ta(deps, user_id):
        ack(views.ephemeral(views.NOT_A_TA))
        return
    try:
        cmd = parse(str(command.get("text") or ""), len(deps.course.weeks))
    except UsageError as error:
        ack(views.usage_reply(error))
        return
    if cmd.name == "help":
        ack(views.help_reply(deps.course))
        return
    if cmd.name == "export":
        ack(views.ephemeral(views.export_started(deps.course)))
    else:
        ack()
    for reply in ACTIONS[cmd.name](Call(deps, client, user_id, cmd, context)):
        respond(**reply)


class Call:
    """One TA's command: what the actions need, and the one instant it runs at."""

    def __init__(
        self, deps: Deps, client: WebClient, user_id: str, cmd: Command, context: BoltContext
    ) -> None:
        self.deps, self.client, self.user_id, self.cmd = deps, client, user_id, cmd
        self.context = context
        self.now = deps.clock()

    def committed(self) -> None:
        """The change is stored: from here on no error may tell the TA it was not."""
        committed(self.context, SAVED_THEN_ERROR)

    @property
    def week(self) -> Week:
        """The week named in the command, else the current one."""
        course = self.deps.course
        if self.cmd.week is not None:
            return course.weeks[self.cmd.week - 1]
        now = self.now
        return course.ask_week(now) or course.open_reflection_week(now) or course.weeks[0]

    def record(self) -> ClassRecord:
        """The class record now."""
        with session_scope(self.deps.engine) as session:
            return class_record(session=session, course=self.deps.course, now=self.now)

    def student(self) -> Student | Unresolved:
        """The student the TA named (mention, email or roster name)."""
        assert self.cmd.student is not None
        return find_student(self.deps, self.client, self.cmd.student)

    def standing(self, student: Student) -> str:
        """A student's standing now."""
        with session_scope(self.deps.engine) as session:
            record = student_record(session=session, course=self.deps.course, now=self.now, student=student)
        return record.standing


def do_tally(call: Call) -> Replies:
    """Post or refresh the week's tally and say where it is."""
    deps, week = call.deps, call.week
    if call.now < week.webinar.start:
        return [views.tally_not_started(deps.course, week)]
    try:
        row = deps.tally.refresh(call.client, week.number)
    except TallyError as error:
        return [views.slack_failed(deps.course, f"post week {week.number}'s tally", str(error))]
    with session_scope(deps.engine) as session:
        summary = summarize_week(
            session=session, course=deps.course, now=call.now, week=week.number, final=row.final
        )
    text, _ = tally_message(summary)
    return [views.tally_done(deps.course, week, text)]


def do_report(call: Call) -> Replies:
    """The class table (or one week's detail), only for the TA who asked."""
    record, week = call.record(), call.cmd.week
    if not record.students:
        return [views.ephemeral(views.NO_STUDENTS)]
    title = f"Week {week} report" if week else "Class report"
    local = call.deps.course.local(record.generated_at)
    note = f"{len(record.students)} students · as of {local:%a %b %d %H:%M} · full data: /seminar export"
    return views.code_blocks(title, to_table(record, week), note)


def do_export(call: Call) -> Replies:
    """Upload the CSV of the class to the TA channel."""
    deps, week = call.deps, call.cmd.week
    record = call.record()
    if not record.students:
        return [views.ephemeral(views.NO_STUDENTS)]
    content = to_csv(record, week)
    stamp = deps.course.local(record.generated_at)
    filename = f"seminar-report{f'-week{week}' if week else ''}-{stamp:%Y%m%d-%H%M}.csv"
    try:
        call.client.files_upload_v2(
            channel=deps.course.ta_channel,
            content=content,
            filename=filename,
            title=filename,
            initial_comment=views.export_comment(call.user_id, week),
        )
    except SlackApiError as error:
        logger.warning("export upload failed: %s", error.response.get("error"))
        return [views.slack_failed(deps.course, "upload the export", str(error.response.get("error")))]
    rows = sum(1 for _ in csv.DictReader(io.StringIO(content)))
    return [views.export_done(deps.course, filename, len(record.students), rows)]


def do_unmatched(call: Call) -> Replies:
    """Zoom participants matched to nobody, with minutes."""
    week = call.cmd.week
    items = [u for u in call.record().unmatched if week is None or u.week == week]
    return views.unmatched_reply(items, week)


def do_match(call: Call) -> Replies:
    """Link a Zoom identity to the mentioned student, for past and future intervals."""
    identity = call.cmd.identity or ""
    minutes: list[UnmatchedPresence] = []

    def write(session: Session, student_id: int) -> str | None:
        minutes.extend(
            sorted(
                (u for u in call.record().unmatched if same_identity(identity, u.name, u.email)),
                key=lambda u: (u.week, PARTS.index(u.part)),
            )
        )
        match = match_identity(
            session=session, identity=identity, student_id=student_id, ta_user_id=call.user_id
        )
        moved = session.get(Student, match.previous_student_id) if match.previous_student_id else None
        return moved.name if moved else None

    def reply(student: Student, moved: str | None) -> views.Reply:
        return views.matched(identity, student.name, minutes, moved)

    return _change_student(call, write, lambda _: {u.week for u in minutes}, reply)


def do_excuse(call: Call) -> Replies:
    """Excuse the student's week with a reason."""
    week, reason = call.week, call.cmd.reason

    def write(session: Session, student_id: int) -> None:
        ta_changes.set_excuse(
            session=session, student_id=student_id, week=week.number, reason=reason, ta_user_id=call.user_id
        )

    def reply(student: Student, _: None) -> views.Reply:
        return views.excused(call.deps.course, week, student.name, reason, call.standing(student))

    return _change_student(call, write, lambda _: {week.number}, reply)


def do_unexcuse(call: Call) -> Replies:
    """Withdraw an excuse."""
    week = call.week

    def write(session: Session, student_id: int) -> bool:
        removed = ta_changes.remove_excuse(
            session=session, student_id=student_id, week=week.number, ta_user_id=call.user_id
        )
        return removed is not None

    def reply(student: Student, removed: bool) -> views.Reply:
        return views.unexcused(call.deps.course, week, student.name, removed, call.standing(student))

    return _change_student(call, write, lambda removed: {week.number} if removed else set(), reply)


def _change_student(
    call: Call,
    write: Callable[[Session, int], T],
    touched: Callable[[T], set[int]],
    reply: Callable[[Student, T], views.Reply],
) -> Replies:
    """A change to the student a TA named: who could be meant when it is no one (or several), else
    write it in one transaction, update the tallies of the weeks it touched, and reply."""
    student = call.student()
    if isinstance(student, Unresolved):
        return [views.unresolved(student, USAGE[call.cmd.name])]
    assert student.id is not None
    with session_scope(call.deps.engine) as session:
        written = write(session, student.id)
    call.committed()
    for week in sorted(touched(written)):
        call.deps.tally.touch(call.client, week)
    return [reply(student, written)]


def do_recording(call: Call) -> Replies:
    """Store the week's recording link; the scheduler DMs it to absent students."""
    week, url = call.week, call.cmd.url or ""
    with session_scope(call.deps.engine) as session:
        previous = ta_changes.recording_url(session=session, week=week.number)
        ta_changes.set_recording(session=session, week=week.number, url=url, ta_user_id=call.user_id)
    call.committed()
    return [views.recording_set(call.deps.course, week, url, previous if previous != url else None)]


def do_queue(call: Call) -> Replies:
    """The moderator's queue for the week (handlers/slack/queue.py)."""
    return [queue_reply(call.deps, call.week.number)]


ACTIONS: dict[str, Callable[[Call], Replies]] = {
    "tally": do_tally,
    "report": do_report,
    "export": do_export,
    "unmatched": do_unmatched,
    "match": do_match,
    "excuse": do_excuse,
    "unexcuse": do_unexcuse,
    "recording": do_recording,
    "queue": do_queue,
}
