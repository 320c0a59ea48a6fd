"""Who is asking: map a Slack user to a roster student, and tell TAs apart."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import Deps
from storage import queries
from storage.db import session_scope
from storage.models import Student, utcnow

logger = logging.getLogger(__name__)


def is_ta(deps: Deps, user_id: str) -> bool:
    """TAs are the Slack user ids listed in `course.tas`."""
    return user_id in deps.course.tas


def resolve_student(deps: Deps, client: WebClient, user_id: str) -> Student | None:
    """The active or dropped student for a Slack user: stored id first, else users.info email."""
    with session_scope(deps.engine) as session:
        student = queries.get_student_by_slack_id(session=session, slack_user_id=user_id)
        if student is not None:
            return student
    email = _slack_email(client, user_id)
    if not email:
        return None
    with session_scope(deps.engine) as session:
        student = queries.get_student_by_email(session=session, email=email)
        if student is None:
            return None
        if student.slack_user_id != user_id:
            student.slack_user_id = user_id
            student.updated_at = utcnow()
        return student


def _slack_email(client: WebClient, user_id: str) -> str | None:
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        logger.info("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return None
    email = (user or {}).get("profile", {}).get("email")
    return str(email) if email else None
