"""The guard every student command shares: only active roster students may act."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers import Deps
from handlers.identity import resolve_student
from handlers.views import students as views
from storage.models import Student


class NotEnrolled(Exception):
    """The Slack user is off the roster or dropped; the message says so for the user."""


def active_student(deps: Deps, client: WebClient, user_id: str) -> Student:
    """The active roster student for this Slack user, else NotEnrolled with a clear reply."""
    student = resolve_student(deps, client, user_id)
    if student is None:
        raise NotEnrolled(views.not_on_roster(deps.course.name))
    if student.status == "dropped":
        raise NotEnrolled(views.dropped(deps.course.name))
    return student
