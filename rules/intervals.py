"""Interval arithmetic for presence: pair one participant's joins and leaves, union, clip."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

Span = tuple[datetime, datetime]
Boundary = Callable[[datetime], datetime | None]


def pair_marks(
    marks: Iterable[tuple[str, datetime]], *, opened_at: Boundary, closed_at: Boundary
) -> list[Span]:
    """Pair joins with leaves by their own times, so arrival order and duplicates never matter.

    At one instant an open visit is closed before a rejoin reopens it; with nothing open, a
    join and a leave at the same instant are an empty visit. A first leave with no join
    started at `opened_at(leave)`; a join never left ends at `closed_at(join)`; a None
    boundary drops that visit. A second join while open is the same visit.
    """
    kinds_at: dict[datetime, set[str]] = {}
    for kind, at in marks:
        if kind in ("join", "leave"):
            kinds_at.setdefault(at, set()).add(kind)
    spans: list[Span] = []
    open_since: datetime | None = None
    for i, at in enumerate(sorted(kinds_at)):
        kinds = kinds_at[at]
        if open_since is not None:
            if "leave" in kinds:
                spans.append((open_since, at))
                open_since = at if "join" in kinds else None
        elif kinds == {"join"}:
            open_since = at
        elif kinds == {"leave"} and i == 0:
            start = opened_at(at)
            if start is not None:
                spans.append((start, at))
    if open_since is not None:
        end = closed_at(open_since)
        if end is not None:
            spans.append((open_since, end))
    return [(s, e) for s, e in spans if e > s]


def union_spans(spans: Iterable[Span], start: datetime, end: datetime) -> list[Span]:
    """The union of spans inside [start, end) as disjoint, sorted spans (touching ones joined)."""
    merged: list[Span] = []
    for s, e in sorted((max(s, start), min(e, end)) for s, e in spans if s < end and e > start):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def union_minutes(spans: Iterable[Span], start: datetime, end: datetime) -> float:
    """Minutes covered by the union of spans inside [start, end): never more than the window."""
    total = 0.0
    for s, e in union_spans(spans, start, end):
        total += (e - s).total_seconds()
    return total / 60
