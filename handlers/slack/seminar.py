"""Slack: `/seminar`, the TAs' tools — tally, report, export, unmatched, match, excuse, recording, queue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.records import class_record, summarize_week
from handlers.schedule.tally_worker import TallyError
from handlers.slack.accounts import is_ta
from handlers.slack.after_ack import committed
from handlers.slack.queue import queue_reply
from handlers.slack.seminar_args import USAGE, Command, UsageError, parse
from handlers.slack.student_ref import Unresolved, find_student
from handlers.slack.ta import changes
from handlers.slack.ta.export_upload import upload_export
from handlers.slack.views import seminar_replies as views
from handlers.slack.views.common import SAVED_THEN_ERROR, when
from handlers.slack.views.tally_message import tally_message
from rules.course import Week
from rules.credit import ClassRecord
from rules.export import to_table
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
        return changes.standing(self.deps, student, self.now)


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
    when_made = when(record.generated_at, call.deps.course.timezone)
    note = f"{len(record.students)} students · as of {when_made} · full data: /seminar export"
    return views.code_blocks(title, to_table(record, week), note, note_is_mrkdwn=True)


def do_export(call: Call) -> Replies:
    """Upload the CSV of the class (or the gradebook) to the TA channel."""
    deps, cmd = call.deps, call.cmd
    return [upload_export(deps, call.client, call.user_id, now=call.now, week=cmd.week, grades=cmd.grades)]


def do_unmatched(call: Call) -> Replies:
    """Zoom participants matched to nobody, with minutes."""
    week = call.cmd.week
    items = [u for u in call.record().unmatched if week is None or u.week == week]
    return views.unmatched_reply(items, week)


def do_match(call: Call) -> Replies:
    """Link a Zoom identity to the named student, for past and future intervals."""
    identity = call.cmd.identity or ""

    def change(student_id: int) -> changes.Matched:
        return changes.match(
            call.deps, call.client, ta=call.user_id, identity=identity, student_id=student_id,
            now=call.now, stored=call.committed,
        )  # fmt: skip

    def reply(student: Student, done: changes.Matched) -> views.Reply:
        return views.matched(identity, student.name, done.minutes, done.moved_from)

    return _change_student(call, change, reply)


def do_excuse(call: Call) -> Replies:
    """Excuse the student's week with a reason."""
    week, reason = call.week, call.cmd.reason

    def change(student_id: int) -> None:
        changes.excuse(
            call.deps, call.client, ta=call.user_id, student_id=student_id, week=week.number,
            reason=reason, stored=call.committed,
        )  # fmt: skip

    def reply(student: Student, _: None) -> views.Reply:
        return views.excused(call.deps.course, week, student.name, reason, call.standing(student))

    return _change_student(call, change, reply)


def do_unexcuse(call: Call) -> Replies:
    """Withdraw an excuse."""
    week = call.week

    def change(student_id: int) -> bool:
        return changes.unexcuse(
            call.deps, call.client, ta=call.user_id, student_id=student_id, week=week.number,
            stored=call.committed,
        )  # fmt: skip

    def reply(student: Student, removed: bool) -> views.Reply:
        return views.unexcused(call.deps.course, week, student.name, removed, call.standing(student))

    return _change_student(call, change, reply)


def _change_student(
    call: Call, change: Callable[[int], T], reply: Callable[[Student, T], views.Reply]
) -> Replies:
    """A change to the student a TA named: who could be meant when it is no one (or several), else
    the change (handlers/slack/ta/changes.py) and the reply."""
    student = call.student()
    if isinstance(student, Unresolved):
        return [views.unresolved(student, USAGE[call.cmd.name])]
    assert student.id is not None
    return [reply(student, change(student.id))]


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
