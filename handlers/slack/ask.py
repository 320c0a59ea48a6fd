"""Slack: /ask <question>, accepted during the week's /ask window (README "What students see")."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.schedule import question_copy
from handlers.slack.after_ack import best_effort, committed
from handlers.slack.guard import as_student, reply_ephemeral
from handlers.slack.views import ask_replies as views
from handlers.slack.views.mrkdwn import command_text
from rules.course import Week
from storage.db import session_scope
from storage.models import Student, utcnow
from storage.submissions import save_question

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    """Register this module's listeners."""
    app.command("/ask")(ask)


def quick_refusal(deps: Deps, text: str, now: datetime) -> str | None:
    """Why the question can be refused without the database: blank, too long or out of window."""
    if not text.strip():
        return views.USAGE
    if len(text) > views.MAX_QUESTION_CHARS:
        return views.too_long(len(text))
    if "\x00" in text:
        return views.NUL_CHARACTER
    if deps.course.ask_week(now) is None:
        return views.closed(deps.course.next_ask_week(now), deps.course.timezone)
    return None


def ask(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
    """Refuse at once when we can; otherwise ack, then store, reply, post and update the tally.

    The clock is read once: the window checked is the window the question is stored in.
    """
    deps: Deps = context["deps"]
    now = deps.clock()
    text = command_text(command)
    refusal = quick_refusal(deps, text, now)
    if refusal:
        ack(text=refusal)
        return
    ack()
    deps.acks.wait()  # the other students' acks first: this one is already answered
    week = deps.course.ask_week(now)
    assert week is not None  # quick_refusal checked this instant
    store = partial(_store, deps, client, context, respond, command, week, now, text)
    as_student(deps, client, command["user_id"], store, reply_ephemeral(respond))


def _store(
    deps: Deps,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    command: dict[str, Any],
    week: Week,
    now: datetime,
    text: str,
    student: Student,
) -> None:
    """Store the question once and confirm it; its copy and the tally follow, best effort."""
    assert student.id is not None
    with session_scope(deps.engine) as session:
        result = save_question(
            session=session,
            student_id=student.id,
            week=week.number,
            text=text,
            asked_at=now,
            dedup_key=_dedup_key(command, now.isoformat()),
            channel_id=command.get("channel_id"),
            copy_to=deps.course.questions_channel,
            wall=utcnow(),
        )
    confirmation = views.saved(week.number, result.count, deps.course.policy.min_questions)
    committed(context, confirmation)
    best_effort("confirm the question", lambda: respond(text=confirmation))
    copy = result.copy_key
    if copy is not None:
        best_effort("post the question's copy", lambda: question_copy.send_first(deps, client, copy))
    if result.created:
        best_effort("update the tally", lambda: deps.tally.note_question(client, week.number))


def _dedup_key(command: dict[str, Any], now: str) -> str:
    """Slack's trigger_id is unique per invocation, so a re-delivered /ask is stored once."""
    trigger = command.get("trigger_id") or f"{command.get('user_id')}:{now}"
    return "ask:" + hashlib.sha256(str(trigger).encode()).hexdigest()
