"""Changes TAs make (excuses, recording links), each written with its audit row in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from storage.models import Excuse, IdentityLink, RecordingLink, utcnow
from storage.presence import LinkResult, link_identity, normalize_link, normalize_name
from storage.queries import record_ta_action


def set_excuse(*, session: Session, student_id: int, week: int, reason: str, ta_user_id: str) -> Excuse:
    """Excuse a student's week (or change the reason of an existing excuse)."""
    excuse = session.exec(select(Excuse).where(Excuse.student_id == student_id, Excuse.week == week)).first()
    previous = excuse.reason if excuse is not None else None
    if excuse is None:
        excuse = Excuse(student_id=student_id, week=week, reason=reason, created_by=ta_user_id)
    else:
        excuse.reason, excuse.created_by, excuse.created_at = reason, ta_user_id, utcnow()
    session.add(excuse)
    detail: dict[str, object] = {"student_id": student_id, "week": week, "reason": reason}
    if previous is not None:
        detail["previous_reason"] = previous
    record_ta_action(session=session, ta_user_id=ta_user_id, action="excuse", detail=detail)
    session.flush()
    return excuse


def remove_excuse(*, session: Session, student_id: int, week: int, ta_user_id: str) -> Excuse | None:
    """Withdraw an excuse; returns the removed excuse, or None when there was none."""
    excuse = session.exec(select(Excuse).where(Excuse.student_id == student_id, Excuse.week == week)).first()
    if excuse is None:
        return None
    session.delete(excuse)
    detail = {"student_id": student_id, "week": week, "reason": excuse.reason}
    record_ta_action(session=session, ta_user_id=ta_user_id, action="unexcuse", detail=detail)
    session.flush()
    return excuse


def recording_url(*, session: Session, week: int) -> str | None:
    """The recording link a TA set for the week, if any."""
    link = session.get(RecordingLink, week)
    return link.url if link is not None else None


def set_recording(*, session: Session, week: int, url: str, ta_user_id: str) -> RecordingLink:
    """Set (or replace) a week's recording link; the scheduler tells absent students about it."""
    link = session.get(RecordingLink, week)
    previous = link.url if link is not None else None
    if link is None:
        link = RecordingLink(week=week, url=url, set_by=ta_user_id)
    else:
        link.url, link.set_by, link.set_at = url, ta_user_id, utcnow()
    session.add(link)
    detail: dict[str, object] = {"week": week, "url": url}
    if previous is not None:
        detail["previous_url"] = previous
    record_ta_action(session=session, ta_user_id=ta_user_id, action="recording", detail=detail)
    session.flush()
    return link


@dataclass(frozen=True)
class Match:
    """A TA's match: the links stored, and who the typed identity belonged to before."""

    result: LinkResult
    previous_student_id: int | None


def is_email(identity: str) -> bool:
    """How `link_identity` tells an email from a display name."""
    text = identity.strip()
    return "@" in text and not any(ch.isspace() for ch in text)


def same_identity(identity: str, name: str, email: str) -> bool:
    """Whether a Zoom participant (name, email) is the identity a TA typed."""
    if is_email(identity):
        return bool(email) and email.strip().lower() == identity.strip().lower()
    return normalize_name(name) == normalize_name(identity)


def match_identity(*, session: Session, identity: str, student_id: int, ta_user_id: str) -> Match:
    """Link a Zoom name or email to a student (past and future intervals count), with an audit row."""
    kind = "email" if is_email(identity) else "name"
    stmt = select(IdentityLink).where(
        IdentityLink.kind == kind, IdentityLink.value == normalize_link(kind, identity)
    )
    before = session.exec(stmt).first()
    previous = before.student_id if before is not None and before.student_id != student_id else None
    result = link_identity(session=session, identity=identity, student_id=student_id, created_by=ta_user_id)
    detail: dict[str, object] = {
        "identity": identity,
        "student_id": student_id,
        "links": [list(link) for link in result.links],
    }
    if previous is not None:
        detail["previous_student_id"] = previous
    record_ta_action(session=session, ta_user_id=ta_user_id, action="match", detail=detail)
    return Match(result, previous)
