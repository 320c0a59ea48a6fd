"""Who a TA means in `/seminar`: a student named by @mention, email (roster or Zoom) or roster name."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.accounts import resolve_student
from handlers.slack.seminar_args import StudentRef
from rules.identity import normalize_name
from storage import queries
from storage.db import session_scope
from storage.models import Student

MAX_CANDIDATES = 5


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
