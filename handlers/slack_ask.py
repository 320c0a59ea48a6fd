"""Slack: /ask <question>, accepted during the week's /ask window (spec §6)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import Deps, tally
from handlers.mrkdwn import command_text
from handlers.students import NotEnrolled, active_student
from handlers.views import ask as views
from storage.submissions import save_question

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    """Register this module's listeners."""
    app.command("/ask")(ask)


def quick_refusal(deps: Deps, text: str) -> str | None:
    """Why the question can be refused without the database: blank, too long or out of window."""
    if not text.strip():
        return views.USAGE
    if len(text) > views.MAX_QUESTION_CHARS:
        return views.too_long(len(text))
    if "\x00" in text:
        return views.NUL_CHARACTER
    now = deps.clock()
    if deps.course.ask_week(now) is None:
        return views.closed(deps.course.next_ask_week(now), deps.course.timezone)
    return None


def ask(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
    """Refuse at once when we can; otherwise ack, then store, reply, post and update the tally."""
    deps: Deps = context["deps"]
    text = command_text(command)
    refusal = quick_refusal(deps, text)
    if refusal:
        ack(text=refusal)
        return
    ack()
    now = deps.clock()
    week = deps.course.ask_week(now)
    assert week is not None
    try:
        student = active_student(deps, client, command["user_id"])
    except NotEnrolled as exc:
        respond(text=str(exc), response_type="ephemeral")
        return
    assert student.id is not None
    result = save_question(
        deps.engine,
        student_id=student.id,
        week=week.number,
        text=text,
        asked_at=now,
        dedup_key=_dedup_key(command, now.isoformat()),
        channel_id=command.get("channel_id"),
    )
    respond(text=views.saved(week.number, result.count, deps.course.policy.min_questions))
    if result.created:
        _post_to_moderator(deps, client, student.name, week.number, text)
        tally.note_question(deps, client, week.number)


def _dedup_key(command: dict[str, Any], now: str) -> str:
    """Slack's trigger_id is unique per invocation, so a re-delivered /ask is stored once."""
    trigger = command.get("trigger_id") or f"{command.get('user_id')}:{now}"
    return "ask:" + hashlib.sha256(str(trigger).encode()).hexdigest()


def _post_to_moderator(deps: Deps, client: WebClient, name: str, week: int, text: str) -> None:
    """Post to `questions_channel` (when set) with every mention neutralised."""
    channel = deps.course.questions_channel
    if not channel:
        return
    try:
        client.chat_postMessage(
            channel=channel,
            text=views.channel_post(name, week, text),
            parse="none",
            link_names=False,
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        logger.warning("could not post a question to %s: %s", channel, exc.response.get("error"))
