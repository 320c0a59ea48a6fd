"""Presence: Zoom join/leave rows → minutes per student, week and part (spec §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from storage.course import Course, Part


@dataclass(frozen=True)
class UnmatchedPresence:
    """Minutes of a Zoom identity that matched no student, for TAs to match."""

    week: int
    part: Part
    name: str
    email: str
    minutes: float


@dataclass
class PresenceTable:
    """Minutes present per (student_id, week, part), plus the unmatched identities."""

    minutes: dict[tuple[int, int, Part], float] = field(default_factory=dict)
    unmatched: list[UnmatchedPresence] = field(default_factory=list)


def compute_presence(*, session: Session, course: Course, now: datetime) -> PresenceTable:
    """Union of each student's intervals clipped to each part's scheduled window."""
    return PresenceTable()
