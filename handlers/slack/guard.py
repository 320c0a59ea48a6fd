"""The enrolment guard every student action shares: only active roster students may act.

Each listener passes what to do for the student and how to refuse anyone else (off the roster,
dropped, or a TA); the check and its refusal are written here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from slack_bolt import Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.accounts import is_ta, resolve_student
from handlers.slack.views.enrolment import Why, refusal
from storage.models import Student

R = TypeVar("R")


class NotEnrolled(Exception):
    """The Slack user is off the roster, dropped, or a TA; str() is the reply for a command."""

    def __init__(self, course_name: str, why: Why) -> None:
        super().__init__(refusal(course_name, why))
        self.course_name = course_name
        self.why = why

    def notice(self) -> str:
        """The same explanation where nothing was being saved (App Home)."""
        return refusal(self.course_name, self.why, nothing_saved=False)


def as_student(
    deps: Deps,
    client: WebClient,
    user_id: str,
    act: Callable[[Student], R],
    refuse: Callable[[NotEnrolled], R],
) -> R:
    """`act` for the active roster student this Slack user is; anyone else gets `refuse`, nothing stored."""
    try:
        student = _active_student(deps, client, user_id)
    except NotEnrolled as exc:
        return refuse(exc)
    return act(student)


def reply_ephemeral(respond: Respond, *, nothing_saved: bool = True) -> Callable[[NotEnrolled], None]:
    """The refusal for a slash command: an ephemeral reply (without "nothing was saved" for a read)."""

    def refuse(exc: NotEnrolled) -> None:
        respond(text=str(exc) if nothing_saved else exc.notice(), response_type="ephemeral")

    return refuse


def _active_student(deps: Deps, client: WebClient, user_id: str) -> Student:
    """The active roster student for this Slack user, else NotEnrolled with a clear reply."""
    student = resolve_student(deps, client, user_id)
    if student is not None and student.status != "dropped":
        return student
    if student is None:
        raise NotEnrolled(deps.course.name, "ta" if is_ta(deps, user_id) else "off_roster")
    raise NotEnrolled(deps.course.name, "dropped")
