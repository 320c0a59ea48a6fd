"""The Student↔Slack link: who a Slack user is on the roster (stored id, else their Slack email), TAs,
and the look-up by email that links a freshly imported roster."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from handlers.deps import Deps
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


@dataclass
class SlackLinks:
    """Who got a Slack id, who has no Slack account under their emails, and a fatal error if any."""

    linked: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    error: str | None = None


def link_slack_accounts(engine: Engine, client: WebClient) -> SlackLinks:
    """Look up each active student without a Slack id by roster email, then Zoom email."""
    with session_scope(engine) as session:
        stmt = select(Student).where(Student.status == "active", col(Student.slack_user_id).is_(None))
        pending = [(s.id, s.email, s.zoom_email) for s in session.exec(stmt).all()]
    result, found = SlackLinks(), {}
    for student_id, email, zoom_email in pending:
        try:
            user_id = _lookup(client, email) or (_lookup(client, zoom_email) if zoom_email else None)
        except SlackApiError as exc:
            result.error = str(exc.response.get("error") or "unknown error")
            break
        if user_id:
            found[student_id] = user_id
            result.linked.append(email)
        else:
            result.not_found.append(email)
    _store(engine, found)
    return result


def _lookup(client: WebClient, email: str) -> str | None:
    """The Slack user id for an email, None when Slack has no such user."""
    try:
        user = client.users_lookupByEmail(email=email)["user"]
    except SlackApiError as exc:
        if exc.response.get("error") == "users_not_found":
            return None
        raise
    return str(user["id"]) if user and not user.get("deleted") else None


def _store(engine: Engine, found: dict[int | None, str]) -> None:
    if not found:
        return
    with session_scope(engine) as session:
        for student in session.exec(select(Student).where(col(Student.id).in_(list(found)))).all():
            student.slack_user_id = found[student.id]
            student.updated_at = utcnow()
