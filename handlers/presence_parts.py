"""Which weeks' parts a stored presence must recompute, from the Zoom instances written since.

An instance whose rows all fall on one local date (the usual webhook instance) changes only the
parts of its Zoom ids in the week of that date: every visit it yields starts and ends that day
(`rules/presence.py` pairs an instance's own rows, and fills a missing end from its `*.ended` or
that day's window). Any other instance is "wide": rows with no instance uuid (a CSV or report
import, paired across dates) or times on several dates (year 9998): it changes every week of its
parts, and its rows are read whenever one of those parts is recomputed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from rules.course import PARTS, Course, Part

Range = tuple[datetime, datetime]


class Instance(Protocol):
    """A Zoom instance's rows in brief, as `storage/presence_cache.py` keeps them."""

    @property
    def zoom_id(self) -> str: ...
    @property
    def instance_uuid(self) -> str: ...
    @property
    def first(self) -> datetime: ...
    @property
    def last(self) -> datetime: ...
    @property
    def dirty(self) -> bool: ...


@dataclass
class Refresh:
    """The (week, part) pairs to recompute, and the time ranges and Zoom ids of the rows that
    decide them (rows without a Zoom id too; every course id when an instance has ids of both
    parts, since such rows take the instance's smallest id)."""

    parts: set[tuple[int, Part]] = field(default_factory=set)
    ranges: list[Range] = field(default_factory=list)
    zoom_ids: list[str] = field(default_factory=list)


@dataclass
class _Group:
    zoom_ids: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    dirty: bool = False


def refresh(instances: Iterable[Instance], course: Course) -> Refresh:
    """What to recompute so the stored copy equals a computation from every stored row."""
    plan, wide, mixed = Refresh(), [], False
    weeks = {w.date: w.number for w in course.weeks}
    for (_, uuid), group in _groups(instances).items():
        parts = {p for z in group.zoom_ids if z and (p := course.part_for_zoom_id(z)) is not None}
        if not parts or group.first is None or group.last is None:
            continue  # rows of no course Zoom id: counted nowhere
        mixed = mixed or len(parts) > 1
        day = course.local(group.first).date()
        if not uuid or course.local(group.last).date() != day:
            wide.append((group.first, group.last + timedelta(microseconds=1)))
            if group.dirty:
                plan.parts |= {(n, p) for n in weeks.values() for p in parts}
        elif group.dirty and day in weeks:
            plan.parts |= {(weeks[day], p) for p in parts}
    if plan.parts:
        days = {w.date for w in course.weeks if any((w.number, p) in plan.parts for p in PARTS)}
        plan.ranges = [_day(course, d) for d in sorted(days)] + wide
        read = set(PARTS) if mixed else {p for _, p in plan.parts}
        plan.zoom_ids = sorted({s.zoom_id for p, s in course.schedule.items() if p in read})
    return plan


def _groups(instances: Iterable[Instance]) -> dict[tuple[str, str], _Group]:
    """One group per instance uuid (rows without a Zoom id included); rows without a uuid per Zoom id."""
    groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
    for i in instances:
        g = groups[("", i.instance_uuid) if i.instance_uuid else (i.zoom_id, "")]
        g.zoom_ids.add(i.zoom_id)
        g.first = i.first if g.first is None else min(g.first, i.first)
        g.last = i.last if g.last is None else max(g.last, i.last)
        g.dirty = g.dirty or i.dirty
    return groups


def _day(course: Course, day: date) -> Range:
    """The local day as a UTC range, start included and end not."""
    start = datetime.combine(day, time(), tzinfo=course.timezone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=course.timezone)
    return start.astimezone(UTC), end.astimezone(UTC)
