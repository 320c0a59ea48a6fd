"""Slack: the "I watched the recording" button (`recording_watched`, value = week number)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.records import student_record
from handlers.slack.after_ack import committed
from handlers.slack.guard import as_student
from handlers.slack.home import publish_home
from handlers.slack.numbers import ascii_number, clicked_value
from handlers.slack.standing import record_blocks
from handlers.slack.views import recording_replies as views
from handlers.slack.views.common import context as note
from handlers.slack.views.standing_blocks import BLOCK_PREFIX, MESSAGE_BLOCKS, WATCHED_ACTION, standing_text
from storage.db import session_scope
from storage.models import Student
from storage.submissions import save_recording_watched


def register(app: App) -> None:
    """Register this module's listeners."""
    app.action(WATCHED_ACTION)(recording_watched)


def recording_watched(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Store the attestation for a missed, ended week (once), then update where it was clicked."""
    ack()
    deps: Deps = context["deps"]
    now = deps.clock()
    user_id = body["user"]["id"]
    value = clicked_value(body)
    act = partial(_attest, deps, body, client, context, respond, value, now)
    as_student(deps, client, user_id, act, lambda exc: _tell(body, client, respond, str(exc)))


def _attest(
    deps: Deps,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    value: str,
    now: datetime,
    student: Student,
) -> None:
    """Store the student's attestation for the clicked week, or say why it can't be."""
    week = _attestable(deps, student, value, now)
    if isinstance(week, str):
        _tell(body, client, respond, week)
        return
    assert student.id is not None
    with session_scope(deps.engine) as session:
        created = save_recording_watched(session=session, student_id=student.id, week=week, now=now)
    note = views.recorded(week, created)
    committed(context, note)
    _update_origin(deps, body, client, respond, student, note)


def _attestable(deps: Deps, student: Student, value: str, now: datetime) -> int | str:
    """The week named by `value` if it ended (at `now`) and the student missed it, else why not."""
    number = ascii_number(value)
    week = deps.course.week(number) if number is not None else None
    if week is None:
        return views.no_such_week(value)
    if not deps.course.ended(week, now):
        return views.not_ended(week.number)
    with session_scope(deps.engine) as session:
        record = student_record(session=session, course=deps.course, now=now, student=student)
    if not record.weeks[week.number - 1].absent:
        return views.not_absent(week.number)
    return week.number


def _update_origin(
    deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond, student: Student, text: str
) -> None:
    """Home tab: republish. /standing (ephemeral): fresh standing. A DM: swap the button for a note."""
    container = body.get("container") or {}
    clicked = (body.get("actions") or [{}])[0]
    if container.get("type") == "view":
        publish_home(deps, client, student.slack_user_id or body["user"]["id"])
    elif container.get("is_ephemeral") or str(clicked.get("block_id", "")).startswith(BLOCK_PREFIX):
        record, blocks = record_blocks(deps, student, MESSAGE_BLOCKS - 1)
        respond(
            text=standing_text(record),
            blocks=[*blocks[:1], note(text), *blocks[1:]],
            replace_original=True,
        )
    else:
        message = body.get("message") or {}
        blocks = views.with_confirmation(message.get("blocks") or [], str(clicked.get("block_id")), text)
        respond(text=message.get("text") or text, blocks=blocks, replace_original=True)


def _tell(body: dict[str, Any], client: WebClient, respond: Respond, text: str) -> None:
    """An ephemeral reply where the click came from a message; a DM from the Home tab."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=body["user"]["id"], text=text)
