"""Changes TAs make (excuses, recording links, Zoom identity links, questions marked asked), each
written with its audit row."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.models import Excuse, IdentityLink, RecordingLink, utcnow
from storage.presence_cache import bump_source
from storage.queries import record_ta_action
from storage.question_votes import mark_asked


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


def link_identities(
    *, session: Session, links: list[tuple[str, str]], student_id: int, created_by: str | None
) -> int:
    """Store (kind, value) links to a student; returns how many were moved from another student."""
    reassigned, added = 0, 0
    for kind, value in links:
        existing = session.exec(
            select(IdentityLink).where(IdentityLink.kind == kind, IdentityLink.value == value)
        ).first()
        if existing is None:
            session.add(IdentityLink(kind=kind, value=value, student_id=student_id, created_by=created_by))
            added += 1
        elif existing.student_id != student_id:
            existing.student_id, existing.created_by = student_id, created_by
            reassigned += 1
    session.flush()
    if added or reassigned:  # presence matches Zoom identities through these links: now stale
        bump_source(session=session)
    return reassigned


def record_match(
    *,
    session: Session,
    identity: str,
    student_id: int,
    links: list[tuple[str, str]],
    previous_student_id: int | None,
    ta_user_id: str,
) -> None:
    """The audit row of a TA's match."""
    detail: dict[str, object] = {
        "identity": identity,
        "student_id": student_id,
        "links": [list(link) for link in links],
    }
    if previous_student_id is not None:
        detail["previous_student_id"] = previous_student_id
    record_ta_action(session=session, ta_user_id=ta_user_id, action="match", detail=detail)


def mark_question_asked(
    *, session: Session, question_id: int, week: int, ta_user_id: str, now: datetime
) -> bool:
    """Mark a question asked in the discussion; False (and no audit row) when it already was."""
    if not mark_asked(session=session, question_id=question_id, ta_user_id=ta_user_id, now=now):
        return False
    detail: dict[str, object] = {"question_id": question_id, "week": week}
    record_ta_action(session=session, ta_user_id=ta_user_id, action="question_asked", detail=detail)
    return True
