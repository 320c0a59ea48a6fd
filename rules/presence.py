"""Presence: Zoom join/leave rows → minutes per student, week and part (README "Zoom attendance").

Minutes are derived at read time from every stored row (webhook, report and CSV alike), so a
redelivered event, a back-fill merged twice or a TA's later match never double counts:
each participant's visits are paired by the payload's own times, then unioned per student and
clipped to the part's scheduled window and to `now`, so a leave, join or end time in the future
is credited only as the clock reaches it (`now` is passed in, never read here). A join with no
leave ends at its instance's `*.ended` time, else at the part's scheduled end; a leave with no
join started at its instance's `*.started` time, else at the scheduled start.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from rules.course import PARTS, Course, Part, Week
from rules.identity import Identity, Staff
from rules.intervals import Span, pair_marks, union_minutes, union_spans


class Mark(Protocol):
    """One stored join, leave, start or end at the payload's own time."""

    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def zoom_id(self) -> str: ...
    @property
    def instance_uuid(self) -> str: ...
    @property
    def participant_key(self) -> str: ...
    @property
    def user_name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def registrant_id(self) -> str: ...
    @property
    def zoom_user_id(self) -> str: ...


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


def presence_from_marks(
    marks: Iterable[Mark], *, course: Course, now: datetime, match: Callable[[Identity], int | None]
) -> PresenceTable:
    """Minutes per student, week and part: same marks in any order, with any duplicates, same table."""
    return minutes_at(presence_spans(marks, course=course, match=match), course=course, now=now)


@dataclass(frozen=True)
class OwnerSpans:
    """One student's (or unmatched identity's) visits in a week's part: the union, clipped to its
    scheduled window but not to any `now`, so it stays true as the clock moves."""

    week: int
    part: Part
    student_id: int | None
    name: str
    email: str
    spans: tuple[Span, ...]


def presence_spans(
    marks: Iterable[Mark], *, course: Course, match: Callable[[Identity], int | None]
) -> list[OwnerSpans]:
    """Each owner's union of visits per week and part; `minutes_at` turns it into minutes.

    Visits of `[zoom] staff` are dropped before matching, whatever their source (a staff name
    yields to a student's email or linked Zoom id: `Staff.drops`).
    """
    visits: dict[tuple[str, Part], list[tuple[Identity, list[Span]]]] = defaultdict(list)
    staff = Staff.of(course.zoom.staff)
    for part, who, spans in _participant_spans(list(marks), course):
        if staff.drops(who, match):
            continue  # never counted, never listed as unmatched
        sid = match(who)
        visits[(f"s:{sid}" if sid is not None else who.group, part)].append((who, spans))
    weeks_by_date = {w.date: w for w in course.weeks}
    out: list[OwnerSpans] = []
    for (owner, part), seen in visits.items():
        spans = [span for _, visit in seen for span in visit]
        for week in _weeks_touched(spans, course, weeks_by_date):
            union = union_spans(spans, *_utc_window(week, part))
            if not union:
                continue
            if owner.startswith("s:"):
                out.append(OwnerSpans(week.number, part, int(owner[2:]), "", "", tuple(union)))
            else:
                who = _label(seen, week, course, weeks_by_date)
                out.append(OwnerSpans(week.number, part, None, who.name, who.email, tuple(union)))
    return out


def _label(
    seen: list[tuple[Identity, list[Span]]], week: Week, course: Course, by_date: dict[date, Week]
) -> Identity:
    """The name an unmatched owner is listed by in a week: of the visits touching that week's
    date, so a week's rows depend on that week's Zoom rows only (`handlers/presence_parts.py`)."""
    here = [who for who, spans in seen if week in _weeks_touched(spans, course, by_date)]
    return min(here, key=_label_key)


class Owned(Protocol):
    """An owner's clipped visits in a week's part, as `presence_spans` made them (or a stored copy)."""

    @property
    def week(self) -> int: ...
    @property
    def part(self) -> Part: ...
    @property
    def student_id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def spans(self) -> Sequence[Span]: ...


def minutes_at(owned: Iterable[Owned], *, course: Course, now: datetime) -> PresenceTable:
    """Minutes at `now`: each union clipped to its window and to the present, never ahead of the clock."""
    windows = {(w.number, part): _utc_window(w, part) for w in course.weeks for part in PARTS}
    table = PresenceTable()
    for row in owned:
        window = windows.get((row.week, row.part))
        if window is None:
            continue
        minutes = union_minutes(row.spans, window[0], min(window[1], now))
        if minutes <= 0:
            continue
        if row.student_id is not None:
            table.minutes[(row.student_id, row.week, row.part)] = minutes
        else:
            table.unmatched.append(UnmatchedPresence(row.week, row.part, row.name, row.email, minutes))
    table.unmatched.sort(key=lambda u: (u.week, u.part, u.name.casefold(), u.email, u.minutes))
    return table


def presence_fingerprint(course: Course) -> str:
    """What presence depends on in the course (time zone, windows, Zoom ids, staff), as a digest."""
    parts = sorted((part, sched.zoom_id) for part, sched in course.schedule.items())
    windows = [(w.number, str(w.date), *(_utc_window(w, p) for p in PARTS)) for w in course.weeks]
    text = repr((str(course.timezone), parts, windows, sorted(course.zoom.staff)))
    return hashlib.sha256(text.encode()).hexdigest()


def _utc_window(week: Week, part: Part) -> tuple[datetime, datetime]:
    """The part's window in UTC: comparing like zones is much faster than ZoneInfo arithmetic."""
    window = week.window(part)
    return window.start.astimezone(UTC), window.end.astimezone(UTC)


def _label_key(who: Identity) -> tuple[bool, bool, str, str]:
    return (not who.name, not who.email, who.name, who.email)


def _weeks_touched(spans: list[Span], course: Course, by_date: dict[date, Week]) -> list[Week]:
    days = {course.local(t).date() for span in spans for t in span}
    return sorted((by_date[d] for d in days if d in by_date), key=lambda w: w.number)


def _participant_spans(marks: list[Mark], course: Course) -> list[tuple[Part, Identity, list[Span]]]:
    """Visits per participant of each Zoom instance, with the part they belong to."""
    zoom_of_instance: dict[str, str] = {}
    for m in marks:  # the smallest id Zoom gave an instance, so the result never depends on order
        known = zoom_of_instance.get(m.instance_uuid)
        if m.zoom_id and m.instance_uuid and (known is None or m.zoom_id < known):
            zoom_of_instance[m.instance_uuid] = m.zoom_id
    instances: dict[tuple[str, str], list[Mark]] = defaultdict(list)
    for m in marks:
        zoom_id = m.zoom_id or zoom_of_instance.get(m.instance_uuid, "")
        instances[(zoom_id, m.instance_uuid)].append(m)
    out: list[tuple[Part, Identity, list[Span]]] = []
    for (zoom_id, _uuid), group in instances.items():
        part = course.part_for_zoom_id(zoom_id)
        if part is None:
            continue  # an unknown Zoom id: kept, counted nowhere
        out.extend(_instance_spans(group, part, course))
    return out


def _instance_spans(group: list[Mark], part: Part, course: Course) -> list[tuple[Part, Identity, list[Span]]]:
    starts = [m.at for m in group if m.kind == "start"]
    ends = [m.at for m in group if m.kind == "end"]
    started = min(starts) if starts else None
    ended = max(ends) if ends else None
    weeks_by_date = {w.date: w for w in course.weeks}

    def scheduled(at: datetime) -> Week | None:
        return weeks_by_date.get(course.local(at).date())

    def opened_at(leave: datetime) -> datetime | None:
        week = scheduled(leave)
        return started or (_utc_window(week, part)[0] if week else None)

    def closed_at(join: datetime) -> datetime | None:
        week = scheduled(join)
        return ended or (_utc_window(week, part)[1] if week else None)

    people: dict[str, list[Mark]] = defaultdict(list)
    for m in group:
        if m.kind in ("join", "leave"):
            people[m.participant_key].append(m)
    out: list[tuple[Part, Identity, list[Span]]] = []
    for pmarks in people.values():
        spans = pair_marks(((m.kind, m.at) for m in pmarks), opened_at=opened_at, closed_at=closed_at)
        if spans:
            out.append((part, _identity(pmarks), spans))
    return out


def _identity(marks: list[Mark]) -> Identity:
    """The earliest non-empty value of each field, so the result never depends on order."""

    def first(attr: str) -> str:
        values = sorted((m.at, getattr(m, attr)) for m in marks if getattr(m, attr))
        return str(values[0][1]) if values else ""

    return Identity(first("user_name"), first("email"), first("registrant_id"), first("zoom_user_id"))
