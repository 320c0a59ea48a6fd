"""TA matches: tie a Zoom identity (email or display name) to a student, for past and future intervals.

Presence (spec §5) consults `IdentityLink` rows; names are stored as `normalize_name` gives them,
so matching is case- and space-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from storage.models import IdentityLink, Student, utcnow
from storage.queries import normalize_email, record_ta_action

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_name(name: str) -> str:
    """Display names compare case-insensitively, with runs of spaces collapsed."""
    return " ".join(name.split()).casefold()


def identity_key(text: str) -> tuple[str, str]:
    """(`email`, address) for an email address, else (`name`, normalised display name)."""
    text = text.strip()
    if _EMAIL.match(text):
        return "email", normalize_email(text)
    return "name", normalize_name(text)


@dataclass(frozen=True)
class LinkResult:
    """What a match did: the link, and the student it pointed to before (if it moved)."""

    link: IdentityLink
    previous_student_id: int | None
    created: bool


def link_identity(*, session: Session, identity: str, student: Student, ta_user_id: str) -> LinkResult:
    """Create or move the link from a Zoom identity to `student`, with an audit row."""
    assert student.id is not None
    kind, value = identity_key(identity)
    stmt = select(IdentityLink).where(IdentityLink.kind == kind, IdentityLink.value == value)
    link = session.exec(stmt).first()
    previous = link.student_id if link is not None else None
    if link is None:
        link = IdentityLink(kind=kind, value=value, student_id=student.id, created_by=ta_user_id)
    else:
        link.student_id, link.created_by, link.created_at = student.id, ta_user_id, utcnow()
    session.add(link)
    detail: dict[str, object] = {"kind": kind, "value": value, "student_id": student.id}
    if previous is not None and previous != student.id:
        detail["previous_student_id"] = previous
    record_ta_action(session=session, ta_user_id=ta_user_id, action="match", detail=detail)
    session.flush()
    return LinkResult(link, previous if previous != student.id else None, created=previous is None)


def linked_student_ids(*, session: Session) -> dict[tuple[str, str], int]:
    """Every TA link, as (kind, value) → student id."""
    return {(ln.kind, ln.value): ln.student_id for ln in session.exec(select(IdentityLink)).all()}
