"""Presence: Zoom join/leave rows → minutes per student, week and part (spec §5).

Minutes are derived at read time from every stored row (webhook, report and CSV alike), so a
redelivered event, a back-fill merged twice or a TA's later match never double counts:
each participant's visits are paired by the payload's own times, then unioned per student and
clipped to the part's scheduled window and to `now`, so a leave, join or end time in the future
is credited only as the clock reaches it (`now` is passed in, never read here). A join with no
leave ends at its instance's `*.ended` time, else at the part's scheduled end; a leave with no
join started at its instance's `*.started` time, else at the scheduled start.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from storage.course import Course, Part, Week
from storage.intervals import Span, pair_marks, union_minutes
from storage.models import IdentityLink, Student
from storage.zoom_store import Mark, distinct_identities, presence_marks

LINK_KINDS = ("email", "registrant_id", "zoom_user_id", "name")
LINK_VALUE_MAX = 320


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


@dataclass(frozen=True)
class Identity:
    """Who a Zoom participant is, as far as Zoom told us."""

    name: str = ""
    email: str = ""
    registrant_id: str = ""
    zoom_user_id: str = ""

    @property
    def group(self) -> str:
        """Unmatched visits of one person (same email, else same name) are listed together."""
        if self.email:
            return "email:" + self.email.lower()
        if self.name:
            return "name:" + normalize_name(self.name)
        return "id:" + (self.registrant_id or self.zoom_user_id)


def normalize_name(name: str) -> str:
    """Display names compare ignoring case, spaces and Unicode composition."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def normalize_link(kind: str, value: str) -> str:
    """How an IdentityLink value is stored and compared: emails lower-case, names normalised."""
    if kind == "email":
        return value.strip().lower()
    if kind == "name":
        return normalize_name(value)
    return value.strip()


@dataclass(frozen=True)
class Staff:
    """`[zoom] staff`: hosts, panelists and speakers, by email (any case) or display name."""

    emails: frozenset[str]
    names: frozenset[str]

    @classmethod
    def of(cls, entries: Iterable[str]) -> Staff:
        """Each entry is tried as an email and as a display name, so either may be written."""
        listed = [e for e in entries if e.strip()]
        return cls(frozenset(e.strip().lower() for e in listed), frozenset(normalize_name(e) for e in listed))

    def __contains__(self, who: Identity) -> bool:
        email = who.email.strip().lower()
        return bool(email and email in self.emails) or bool(
            who.name and normalize_name(who.name) in self.names
        )


class Matcher:
    """Identity → student in spec order: email, linked registrant/Zoom user id, unique name."""

    def __init__(self, students: Sequence[Student], links: Sequence[IdentityLink]) -> None:
        self.links: dict[str, dict[str, int]] = {kind: {} for kind in LINK_KINDS}
        for link in links:
            if link.kind in self.links:
                self.links[link.kind][normalize_link(link.kind, link.value)] = link.student_id
        self.emails: dict[str, int] = {}
        names: dict[str, set[int]] = defaultdict(set)
        for s in students:
            assert s.id is not None
            for email in (s.zoom_email, s.email):
                if email:
                    self.emails[email.strip().lower()] = s.id
            names[normalize_name(s.name)].add(s.id)
        self.names = {n: next(iter(ids)) for n, ids in names.items() if len(ids) == 1}

    @classmethod
    def load(cls, session: Session) -> Matcher:
        """Every student and every TA link."""
        return cls(session.exec(select(Student)).all(), session.exec(select(IdentityLink)).all())

    def match(self, who: Identity) -> int | None:
        """The student this identity is, or None when it must stay unmatched."""
        email = who.email.strip().lower()
        name = normalize_name(who.name)
        candidates = (
            self.emails.get(email) if email else None,
            self.links["email"].get(email) if email else None,
            self.links["registrant_id"].get(who.registrant_id) if who.registrant_id else None,
            self.links["zoom_user_id"].get(who.zoom_user_id) if who.zoom_user_id else None,
            self.links["name"].get(name) if name else None,
            self.names.get(name) if name else None,
        )
        return next((sid for sid in candidates if sid is not None), None)


def compute_presence(*, session: Session, course: Course, now: datetime) -> PresenceTable:
    """Union of each student's intervals clipped to each part's scheduled window."""
    zoom_ids = [sched.zoom_id for sched in course.schedule.values()]
    marks = presence_marks(session=session, zoom_ids=zoom_ids)
    return presence_from_marks(marks, course=course, now=now, match=Matcher.load(session).match)


def presence_from_marks(
    marks: Iterable[Mark], *, course: Course, now: datetime, match: Callable[[Identity], int | None]
) -> PresenceTable:
    """The pure core of compute_presence: same marks in any order, with any duplicates, same table.

    Visits of `[zoom] staff` are dropped before matching, whatever their source.
    """
    visits: dict[tuple[str, Part], list[Span]] = defaultdict(list)
    labels: dict[str, Identity] = {}
    staff = Staff.of(course.zoom.staff)
    for part, who, spans in _participant_spans(list(marks), course):
        if who in staff:
            continue  # never counted, never listed as unmatched
        sid = match(who)
        owner = f"s:{sid}" if sid is not None else who.group
        visits[(owner, part)].extend(spans)
        if sid is None and (owner not in labels or _label_key(who) < _label_key(labels[owner])):
            labels[owner] = who
    weeks_by_date = {w.date: w for w in course.weeks}
    table = PresenceTable()
    for (owner, part), spans in visits.items():
        for week in _weeks_touched(spans, course, weeks_by_date):
            start, end = _utc_window(week, part)
            minutes = union_minutes(spans, start, min(end, now))  # never ahead of the clock
            if minutes <= 0:
                continue
            if owner.startswith("s:"):
                table.minutes[(int(owner[2:]), week.number, part)] = minutes
            else:
                who = labels[owner]
                table.unmatched.append(UnmatchedPresence(week.number, part, who.name, who.email, minutes))
    table.unmatched.sort(key=lambda u: (u.week, u.part, u.name.casefold(), u.email, u.minutes))
    return table


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
    zoom_of_instance = {m.instance_uuid: m.zoom_id for m in marks if m.zoom_id and m.instance_uuid}
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


def unmatched_identities(
    *, session: Session, course: Course, now: datetime, week: int | None = None
) -> list[UnmatchedPresence]:
    """What `/seminar unmatched [week]` lists: identities no student matched, with minutes."""
    table = compute_presence(session=session, course=course, now=now)
    return [u for u in table.unmatched if week is None or u.week == week]


@dataclass(frozen=True)
class LinkResult:
    """What `link_identity` stored: the (kind, value) links and how many Zoom identities they cover."""

    student_id: int
    links: list[tuple[str, str]]
    identities_seen: int
    reassigned: int


def link_identity(
    *, session: Session, identity: str, student_id: int, created_by: str | None = None
) -> LinkResult:
    """Tie a Zoom name or email (as a TA typed it) to a student, for past and future intervals.

    Besides the typed name/email itself, every email, registrant id and Zoom user id Zoom
    reported alongside it is linked too, so the student's other visits match as well.
    """
    text = identity.strip()
    is_email = "@" in text and not any(ch.isspace() for ch in text)
    wanted = text.lower() if is_email else normalize_name(text)
    if not wanted:
        raise ValueError("a Zoom name or email is needed")
    pairs = {("email", wanted) if is_email else ("name", wanted)}
    seen = 0
    for name, email, registrant_id, zoom_user_id in distinct_identities(session=session):
        hit = email.lower() == wanted if is_email else normalize_name(name) == wanted
        if not hit:
            continue
        seen += 1
        pairs |= {("email", email.lower()), ("registrant_id", registrant_id), ("zoom_user_id", zoom_user_id)}
    links = sorted((kind, normalize_link(kind, value)[:LINK_VALUE_MAX]) for kind, value in pairs if value)
    reassigned = 0
    for kind, value in links:
        existing = session.exec(
            select(IdentityLink).where(IdentityLink.kind == kind, IdentityLink.value == value)
        ).first()
        if existing is None:
            session.add(IdentityLink(kind=kind, value=value, student_id=student_id, created_by=created_by))
        elif existing.student_id != student_id:
            existing.student_id, existing.created_by = student_id, created_by
            reassigned += 1
    session.flush()
    return LinkResult(student_id, links, seen, reassigned)
