"""Who is asking: map a Slack user to a roster student, and tell TAs apart."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import Deps
from handlers.seminar_args import StudentRef
from storage import queries
from storage.db import session_scope
from storage.models import Student, utcnow
from storage.presence import normalize_name

logger = logging.getLogger(__name__)
MAX_CANDIDATES = 5


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


@dataclass(frozen=True)
class Unresolved:
    """A TA's way of naming a student that fits no one, or several (`candidates`)."""

    ref: StudentRef
    candidates: list[Student]
    ambiguous: bool


def find_student(deps: Deps, client: WebClient, ref: StudentRef) -> Student | Unresolved:
    """The one student a TA named by mention, email (roster or Zoom) or roster name."""
    if ref.kind == "slack":
        student = resolve_student(deps, client, ref.value)
        return student if student is not None else Unresolved(ref, [], ambiguous=False)
    with session_scope(deps.engine) as session:
        if ref.kind == "email":
            found = list(queries.students_by_email(session=session, email=ref.value))
            near: list[Student] = []
        else:
            found, near = _by_name(queries.list_students(session=session), ref.value.lstrip("@"))
    if len(found) == 1:
        return found[0]
    return Unresolved(ref, found or near, ambiguous=len(found) > 1)


def _by_name(students: Sequence[Student], name: str) -> tuple[list[Student], list[Student]]:
    """Students whose roster name is `name` (ignoring case and spaces), and near misses."""
    wanted = normalize_name(name)
    exact = [s for s in students if normalize_name(s.name) == wanted]
    if exact or not wanted:
        return exact, []
    names = {normalize_name(s.name): s for s in students}
    close = set(difflib.get_close_matches(wanted, names, n=MAX_CANDIDATES, cutoff=0.6))
    near = [s for key, s in names.items() if wanted in key or key in close]
    return [], near[:MAX_CANDIDATES]
