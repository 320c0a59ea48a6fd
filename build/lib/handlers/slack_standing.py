"""Slack: /standing, the asker's own week-by-week record and standing (ephemeral)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers import Deps
from handlers.students import NotEnrolled, active_student
from handlers.views import standing as views
from storage import queries
from storage.db import session_scope
from storage.models import Student
from storage.records import StudentRecord, student_record


def register(app: App) -> None:
    """Register this module's listeners."""
    app.command("/standing")(standing)


def standing(
    ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Ack at once, then compute the record and answer only the asker."""
    ack()
    deps: Deps = context["deps"]
    try:
        student = active_student(deps, client, command["user_id"])
    except NotEnrolled as exc:
        respond(text=exc.notice(), response_type="ephemeral")
        return
    record, blocks = record_blocks(deps, student, views.MESSAGE_BLOCKS)
    respond(text=views.standing_text(record), blocks=blocks, response_type="ephemeral")


def record_blocks(
    deps: Deps, student: Student, max_blocks: int
) -> tuple[StudentRecord, list[dict[str, Any]]]:
    """The student's record now (the one standing computation) and its blocks."""
    now = deps.clock()
    with session_scope(deps.engine) as session:
        record = student_record(session=session, course=deps.course, now=now, student=student)
        links = queries.recording_links(session=session)
    known = {w.number: w.recording_url for w in deps.course.weeks if w.recording_url}
    blocks = views.standing_blocks(deps.course, record, now, {**known, **links}, max_blocks)
    return record, blocks
