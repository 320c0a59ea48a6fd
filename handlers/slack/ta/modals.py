"""Slack: the TA Home's modals — Excuse a student, Match a Zoom participant — opened and submitted.

Everything a submission carries is untrusted: the user must be a TA, the picked user an enrolled
student, the week one that has ended, the reason within `/seminar`'s limit; otherwise the modal
shows the error on its block and nothing is stored. A valid one makes the same change as
`/seminar excuse` / `match` (handlers/slack/ta/changes.py), then the Home tab is refreshed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.accounts import is_ta
from handlers.slack.after_ack import best_effort, committed
from handlers.slack.numbers import ascii_number, clicked_value
from handlers.slack.seminar_args import MAX_IDENTITY, MAX_REASON, StudentRef
from handlers.slack.student_ref import find_student
from handlers.slack.ta import changes
from handlers.slack.ta.dashboard import open_view, publish_ta_home
from handlers.slack.views import seminar_replies as replies
from handlers.slack.views import ta_modal_views as views
from handlers.slack.views.common import SAVED_THEN_ERROR
from handlers.slack.views.ta_home_blocks import EXCUSE_OPEN, MATCH_OPEN
from rules.course import Week
from storage.models import Student

_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")
Errors = dict[str, str]


def register(app: App) -> None:
    """Register this module's listeners."""
    app.action(EXCUSE_OPEN)(open_excuse)
    app.action(MATCH_OPEN)(open_match)
    app.view(views.EXCUSE_CALLBACK)(submit_excuse)
    app.view(views.MATCH_CALLBACK)(submit_match)


def ended_weeks(deps: Deps, now: datetime) -> list[Week]:
    """The weeks a TA may excuse: those whose discussion has ended."""
    return [w for w in deps.course.weeks if deps.course.ended(w, now)]


def open_excuse(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The Excuse button: the modal (or, for anyone but a TA, a refusal)."""
    ack()
    deps: Deps = context["deps"]
    ended = ended_weeks(deps, deps.clock())
    if not is_ta(deps, str(body["user"]["id"])):
        view = views.notice("Excuse a student", views.NOT_A_TA)
    elif not ended:
        view = views.notice("Excuse a student", views.NO_WEEK_ENDED)
    else:
        view = views.excuse_modal(deps.course, ended, MAX_REASON)
    open_view(client, body["trigger_id"], view)


def open_match(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A participant's Match button (value = their Zoom email or name): the modal, or a refusal."""
    ack()
    deps: Deps = context["deps"]
    identity = _identity(clicked_value(body))
    if not is_ta(deps, str(body["user"]["id"])):
        view = views.notice("Match a participant", views.NOT_A_TA)
    elif identity is None:
        view = views.notice("Match a participant", views.STALE_MATCH)
    else:
        view = views.match_modal(identity)
    open_view(client, body["trigger_id"], view)


@dataclass(frozen=True)
class Picked:
    """A checked submission's student."""

    student: Student
    student_id: int


def submit_excuse(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Check every field, excuse the week, show the result in the modal, refresh the Home tab."""
    deps: Deps = context["deps"]
    ta, now = str(body["user"]["id"]), deps.clock()
    if not is_ta(deps, ta):
        ack(response_action="errors", errors={views.STUDENT_BLOCK: views.NOT_A_TA})
        return
    errors: Errors = {}
    picked = _student(deps, client, view, errors)
    week = _week(deps, _value(view, views.WEEK_BLOCK, views.WEEK_ACTION, "selected_option"), now, errors)
    reason = _reason(_value(view, views.REASON_BLOCK, views.REASON_ACTION, "value"), errors)
    if errors or picked is None or week is None:
        ack(response_action="errors", errors=errors)
        return
    changes.excuse(
        deps, client, ta=ta, student_id=picked.student_id, week=week.number, reason=reason,
        stored=lambda: committed(context, SAVED_THEN_ERROR),
    )  # fmt: skip
    standing = changes.standing(deps, picked.student, now)
    text = replies.excused(deps.course, week, picked.student.name, reason, standing)["text"]
    ack(response_action="update", view=views.notice("Excused", str(text)))
    best_effort("refresh the TA Home", lambda: publish_ta_home(deps, client, ta))


def submit_match(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Check the TA, the participant and the student; match; show the result; refresh the Home tab."""
    deps: Deps = context["deps"]
    ta = str(body["user"]["id"])
    if not is_ta(deps, ta):
        ack(response_action="errors", errors={views.STUDENT_BLOCK: views.NOT_A_TA})
        return
    identity = _identity(_metadata(view).get("identity"))
    errors: Errors = {} if identity is not None else {views.STUDENT_BLOCK: views.STALE_MATCH}
    picked = _student(deps, client, view, errors) if identity is not None else None
    if errors or picked is None or identity is None:
        ack(response_action="errors", errors=errors)
        return
    done = changes.match(
        deps, client, ta=ta, identity=identity, student_id=picked.student_id, now=deps.clock(),
        stored=lambda: committed(context, SAVED_THEN_ERROR),
    )  # fmt: skip
    text = replies.matched(identity, picked.student.name, done.minutes, done.moved_from)["text"]
    ack(response_action="update", view=views.notice("Matched", str(text)))
    best_effort("refresh the TA Home", lambda: publish_ta_home(deps, client, ta))


def _value(view: dict[str, Any], block: str, action: str, key: str) -> object:
    """One input's value from the submitted state, or None whatever shape the state has."""
    values = view.get("state", {}).get("values") if isinstance(view.get("state"), dict) else None
    entry = values.get(block) if isinstance(values, dict) else None
    element = entry.get(action) if isinstance(entry, dict) else None
    return element.get(key) if isinstance(element, dict) else None


def _student(deps: Deps, client: WebClient, view: dict[str, Any], errors: Errors) -> Picked | None:
    """The picked user, if an enrolled student (the same look-up `/seminar` uses for a mention)."""
    user_id = _value(view, views.STUDENT_BLOCK, views.STUDENT_ACTION, "selected_user")
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        errors[views.STUDENT_BLOCK] = views.PICK_STUDENT
        return None
    found = find_student(deps, client, StudentRef("slack", user_id))
    if not isinstance(found, Student) or found.id is None:
        errors[views.STUDENT_BLOCK] = views.not_on_roster(user_id)
        return None
    return Picked(found, found.id)


def _week(deps: Deps, option: object, now: datetime, errors: Errors) -> Week | None:
    """The picked week, if it is a course week that has ended."""
    value = option.get("value") if isinstance(option, dict) else None
    number = ascii_number(value) if isinstance(value, str) else None
    week = deps.course.week(number) if number is not None else None
    if week is None or not deps.course.ended(week, now):
        errors[views.WEEK_BLOCK] = views.PICK_WEEK
        return None
    return week


def _reason(value: object, errors: Errors) -> str:
    """The typed reason (optional), within `/seminar`'s limit."""
    reason = value.strip() if isinstance(value, str) else ""
    if len(reason) > MAX_REASON:
        errors[views.REASON_BLOCK] = views.reason_too_long(len(reason), MAX_REASON)
    elif "\x00" in reason:
        errors[views.REASON_BLOCK] = views.NUL_CHARACTER
    return reason


def _identity(value: object) -> str | None:
    """A Zoom email or name as a Match button or form carries it, if usable."""
    if not isinstance(value, str) or "\x00" in value:
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_IDENTITY else None


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


