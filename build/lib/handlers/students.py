"""The guard every student command shares: only active roster students may act."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers import Deps
from handlers.identity import is_ta, resolve_student
from handlers.views.students import Why, refusal
from storage.models import Student


class NotEnrolled(Exception):
    """The Slack user is off the roster, dropped, or a TA; str() is the reply for a command."""

    def __init__(self, course_name: str, why: Why) -> None:
        super().__init__(refusal(course_name, why))
        self.course_name = course_name
        self.why = why

    def notice(self) -> str:
        """The same explanation where nothing was being saved (App Home)."""
        return refusal(self.course_name, self.why, nothing_saved=False)


def active_student(deps: Deps, client: WebClient, user_id: str) -> Student:
    """The active roster student for this Slack user, else NotEnrolled with a clear reply."""
    student = resolve_student(deps, client, user_id)
    if student is not None and student.status != "dropped":
        return student
    if student is None:
        raise NotEnrolled(deps.course.name, "ta" if is_ta(deps, user_id) else "off_roster")
    raise NotEnrolled(deps.course.name, "dropped")
