"""Slack: `/seminar`, the TAs' tools — tally, report, export, unmatched, match, excuse, recording."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import Deps, tally
from handlers.after_ack import committed
from handlers.identity import Unresolved, find_student, is_ta
from handlers.seminar_args import USAGE, Command, UsageError, parse
from handlers.views import seminar as views
from handlers.views.common import SAVED_THEN_ERROR
from handlers.views.tally import tally_message
from storage import ta_changes
from storage.course import PARTS, Week
from storage.db import session_scope
from storage.export import to_csv, to_table
from storage.models import Student
from storage.records import ClassRecord, class_record, student_record
from storage.tally import summarize_week

logger = logging.getLogger(__name__)
Replies = list[views.Reply]


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
        row = tally.refresh(deps, call.client, week.number)
    except tally.TallyError as error:
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
    student = call.student()
    if isinstance(student, Unresolved):
        return [views.unresolved(student, USAGE["match"])]
    assert student.id is not None
    minutes = sorted(
        (u for u in call.record().unmatched if ta_changes.same_identity(identity, u.name, u.email)),
        key=lambda u: (u.week, PARTS.index(u.part)),
    )
    with session_scope(call.deps.engine) as session:
        match = ta_changes.match_identity(
            session=session, identity=identity, student_id=student.id, ta_user_id=call.user_id
        )
        moved = session.get(Student, match.previous_student_id) if match.previous_student_id else None
    call.committed()
    for week in sorted({u.week for u in minutes}):
        tally.touch(call.deps, call.client, week)
    return [views.matched(identity, student.name, minutes, moved.name if moved else None)]


def do_excuse(call: Call) -> Replies:
    """Excuse the student's week with a reason."""
    week, student = call.week, call.student()
    if isinstance(student, Unresolved):
        return [views.unresolved(student, USAGE["excuse"])]
    assert student.id is not None
    with session_scope(call.deps.engine) as session:
        ta_changes.set_excuse(
            session=session,
            student_id=student.id,
            week=week.number,
            reason=call.cmd.reason,
            ta_user_id=call.user_id,
        )
    call.committed()
    tally.touch(call.deps, call.client, week.number)
    return [views.excused(call.deps.course, week, student.name, call.cmd.reason, call.standing(student))]


def do_unexcuse(call: Call) -> Replies:
    """Withdraw an excuse."""
    week, student = call.week, call.student()
    if isinstance(student, Unresolved):
        return [views.unresolved(student, USAGE["unexcuse"])]
    assert student.id is not None
    with session_scope(call.deps.engine) as session:
        removed = ta_changes.remove_excuse(
            session=session, student_id=student.id, week=week.number, ta_user_id=call.user_id
        )
    call.committed()
    if removed is not None:
        tally.touch(call.deps, call.client, week.number)
    return [
        views.unexcused(call.deps.course, week, student.name, removed is not None, call.standing(student))
    ]


def do_recording(call: Call) -> Replies:
    """Store the week's recording link; the scheduler DMs it to absent students."""
    week, url = call.week, call.cmd.url or ""
    with session_scope(call.deps.engine) as session:
        previous = ta_changes.recording_url(session=session, week=week.number)
        ta_changes.set_recording(session=session, week=week.number, url=url, ta_user_id=call.user_id)
    call.committed()
    return [views.recording_set(call.deps.course, week, url, previous if previous != url else None)]


ACTIONS: dict[str, Callable[[Call], Replies]] = {
    "tally": do_tally,
    "report": do_report,
    "export": do_export,
    "unmatched": do_unmatched,
    "match": do_match,
    "excuse": do_excuse,
    "unexcuse": do_unexcuse,
    "recording": do_recording,
}
