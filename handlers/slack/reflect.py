"""Slack: /reflect (inline text or the modal), the prompt's button and the modal's submission."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.after_ack import best_effort, committed
from handlers.slack.guard import NotEnrolled, as_student, reply_ephemeral
from handlers.slack.numbers import ascii_number, clicked_value
from handlers.slack.views import reflection_form as views
from handlers.slack.views.common import plain_times
from handlers.slack.views.mrkdwn import command_text
from rules.course import Policy, Week
from rules.sentences import count_sentences
from storage.db import session_scope
from storage.models import Student
from storage.submissions import ReflectionSaved, get_reflection, save_reflection

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    """Register this module's listeners."""
    app.command("/reflect")(reflect)
    app.action(views.OPEN_ACTION)(open_from_button)
    app.view(views.CALLBACK_ID)(submit)


def check(text: str, policy: Policy) -> tuple[int, str | None]:
    """The sentence count, and why the text is refused (None when it is acceptable)."""
    if len(text) > views.MAX_REFLECTION_CHARS:
        return 0, views.too_long(len(text))
    if "\x00" in text:
        return 0, views.NUL_CHARACTER
    found = count_sentences(text)
    minimum = policy.reflection_sentences[0]
    return found, views.too_few(found, minimum) if found < minimum else None


def reflect(
    ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """`/reflect` alone opens the form; `/reflect <text>` submits for the latest open week."""
    deps: Deps = context["deps"]
    now = deps.clock()
    week = deps.course.open_reflection_week(now)
    if week is None:
        ack(text=views.not_open_yet(deps.course))
        return
    text = command_text(command)
    if not text.strip():
        ack()
        open_modal(deps, client, command["trigger_id"], command["user_id"], week, now)
        return
    sentences, problem = check(text, deps.course.policy)
    if problem:
        ack(text=f"{problem}\n{views.usage(deps.course)}")
        return
    ack()

    def store(student: Student) -> None:
        confirmation = views.saved(deps.course, week, _save(deps, student, week, text, sentences, now))
        committed(context, confirmation)
        respond(text=confirmation)

    as_student(deps, client, command["user_id"], store, reply_ephemeral(respond))


def open_from_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """The prompt DM's "Write my reflection" button (value = week number) opens the form."""
    ack()
    deps: Deps = context["deps"]
    now = deps.clock()
    value = clicked_value(body)
    week = _started_week(deps, value, now)
    if week is None:
        if body.get("response_url"):
            respond(text=views.week_not_open(value), response_type="ephemeral", replace_original=False)
        return
    open_modal(deps, client, body["trigger_id"], body["user"]["id"], week, now)


def open_modal(
    deps: Deps, client: WebClient, trigger_id: str, user_id: str, week: Week, now: datetime
) -> None:
    """Open the form at once (trigger ids expire in seconds), then fill in what we know."""
    opened = client.views_open(trigger_id=trigger_id, view=views.modal(deps.course, week, now))
    view_id, view_hash = opened["view"]["id"], opened["view"]["hash"]

    def fill_in(student: Student) -> None:
        with session_scope(deps.engine) as session:
            existing = get_reflection(session=session, student_id=_id(student), week=week.number)
        if existing is not None:
            view = views.modal(deps.course, week, now, existing)
            client.views_update(view_id=view_id, hash=view_hash, view=view)

    def refuse(exc: NotEnrolled) -> None:
        client.views_update(view_id=view_id, hash=view_hash, view=views.notice("Reflection", str(exc)))

    as_student(deps, client, user_id, fill_in, refuse)


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Validate in the modal (errors keep it open), store, close it and confirm by DM."""
    deps: Deps = context["deps"]
    user_id = body["user"]["id"]
    outcome = _store_submission(deps, client, user_id, view, deps.clock())
    if isinstance(outcome, str):
        ack(response_action="errors", errors={views.BLOCK_ID: plain_times(outcome)})
        return
    ack()
    confirmation = views.saved(deps.course, *outcome)
    committed(context, confirmation)
    best_effort("confirm the reflection", lambda: client.chat_postMessage(channel=user_id, text=confirmation))


def _store_submission(
    deps: Deps, client: WebClient, user_id: str, view: dict[str, Any], now: datetime
) -> str | tuple[Week, ReflectionSaved]:
    """Store the submitted form, or say why not (shown under the text box)."""
    week = _started_week(deps, _metadata_week(view), now)
    if week is None:
        return views.STALE_FORM
    text = _submitted_text(view)
    sentences, problem = check(text, deps.course.policy)
    if problem:
        return problem

    def store(student: Student) -> str | tuple[Week, ReflectionSaved]:
        result = _save(deps, student, week, text, sentences, now)
        if result.outcome == "kept_on_time":
            return views.saved(deps.course, week, result)
        return week, result

    return as_student(deps, client, user_id, store, str)


def _save(
    deps: Deps, student: Student, week: Week, text: str, sentences: int, now: datetime
) -> ReflectionSaved:
    with session_scope(deps.engine) as session:
        return save_reflection(
            session=session,
            student_id=_id(student),
            week=week.number,
            text=text,
            sentences=sentences,
            now=now,
            due=deps.course.reflection_due(week),
        )


def _started_week(deps: Deps, value: str, now: datetime) -> Week | None:
    """The week named by a button or form, if its reflection has opened at `now`."""
    number = ascii_number(value)
    week = deps.course.week(number) if number is not None else None
    if week is None or week.webinar.start > now:
        return None
    return week


def _metadata_week(view: dict[str, Any]) -> str:
    try:
        return str(json.loads(view.get("private_metadata") or "{}").get("week", ""))
    except (ValueError, AttributeError):
        return ""


def _submitted_text(view: dict[str, Any]) -> str:
    state = view.get("state", {}).get("values", {})
    return str(state.get(views.BLOCK_ID, {}).get(views.INPUT_ID, {}).get("value") or "")


def _id(student: Student) -> int:
    assert student.id is not None
    return student.id
