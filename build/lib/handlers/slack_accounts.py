"""Link roster students to Slack accounts by email (users.lookupByEmail), after a roster import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.db import session_scope
from storage.models import Student, utcnow

logger = logging.getLogger(__name__)


@dataclass
class LinkResult:
    """Who got a Slack id, who has no Slack account under their emails, and a fatal error if any."""

    linked: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    error: str | None = None


def link_slack_accounts(engine: Engine, client: WebClient) -> LinkResult:
    """Look up each active student without a Slack id by roster email, then Zoom email."""
    with session_scope(engine) as session:
        stmt = select(Student).where(Student.status == "active", col(Student.slack_user_id).is_(None))
        pending = [(s.id, s.email, s.zoom_email) for s in session.exec(stmt).all()]
    result, found = LinkResult(), {}
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
