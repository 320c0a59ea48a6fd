"""The guard every student command shares: only active roster students may act."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers import Deps
from handlers.identity import resolve_student
from handlers.views.students import refusal
from storage.models import Student


class NotEnrolled(Exception):
    """The Slack user is off the roster or dropped; str() is the reply for a command."""

    def __init__(self, course_name: str, *, dropped: bool) -> None:
        super().__init__(refusal(course_name, dropped=dropped))
        self.course_name = course_name
        self.dropped = dropped

    def notice(self) -> str:
        """The same explanation where nothing was being saved (App Home)."""
        return refusal(self.course_name, dropped=self.dropped, nothing_saved=False)


def active_student(deps: Deps, client: WebClient, user_id: str) -> Student:
    """The active roster student for this Slack user, else NotEnrolled with a clear reply."""
    student = resolve_student(deps, client, user_id)
    if student is None:
        raise NotEnrolled(deps.course.name, dropped=False)
    if student.status == "dropped":
        raise NotEnrolled(deps.course.name, dropped=True)
    return student
