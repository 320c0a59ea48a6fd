"""A TA's match: tie a Zoom name or email to a student, for past and future visits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from rules.identity import identity_key, identity_links
from storage import queries, ta_changes
from storage.zoom_store import distinct_identities


@dataclass(frozen=True)
class LinkResult:
    """What `link_identity` stored: the (kind, value) links and how many Zoom identities they cover."""

    student_id: int
    links: list[tuple[str, str]]
    identities_seen: int
    reassigned: int


@dataclass(frozen=True)
class Match:
    """A TA's match: the links stored, and who the typed identity belonged to before."""

    result: LinkResult
    previous_student_id: int | None


def link_identity(
    *, session: Session, identity: str, student_id: int, created_by: str | None = None
) -> LinkResult:
    """Link the typed name or email, and every id Zoom reported beside it, to the student."""
    links, seen = identity_links(identity, distinct_identities(session=session))
    reassigned = ta_changes.link_identities(
        session=session, links=links, student_id=student_id, created_by=created_by
    )
    return LinkResult(student_id, links, seen, reassigned)


def match_identity(*, session: Session, identity: str, student_id: int, ta_user_id: str) -> Match:
    """Link a Zoom name or email to a student (past and future intervals count), with an audit row."""
    kind, value = identity_key(identity)
    before = queries.linked_student(session=session, kind=kind, value=value)
    previous = before if before is not None and before != student_id else None
    result = link_identity(session=session, identity=identity, student_id=student_id, created_by=ta_user_id)
    ta_changes.record_match(
        session=session,
        identity=identity,
        student_id=student_id,
        links=result.links,
        previous_student_id=previous,
        ta_user_id=ta_user_id,
    )
    return Match(result, previous)
