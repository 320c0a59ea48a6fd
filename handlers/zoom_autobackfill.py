"""Automatic back-fill: each part from Zoom's participant report, once, a while after it ends.

Zoom does not redeliver what happened while a socket was down, and webhooks can be missed, so
`[zoom] backfill_after_minutes` after each part's scheduled end the scheduler (serve's tick and
`jobs run-due`) reads the report and merges it by union. Each part is claimed in the database
first (storage/backfills.py), so any number of processes back-fill it once; a Zoom failure hands
the claim back for a later tick and ends this run, so a Zoom that stops answering costs one
timed-out request per tick. The week's tally summary is bumped so it shows what was added.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers import Deps
from handlers.zoom_api import ZoomApi
from handlers.zoom_backfill import PartBackfill, backfill_part
from storage import backfills
from storage import tally as tally_store
from storage.course import PARTS, Part, Week
from storage.db import session_scope
from storage.models import utcnow

logger = logging.getLogger(__name__)


@dataclass
class BackfillRun:
    """What one run did: parts back-filled, parts handed back for a retry, parts another runner had."""

    done: list[tuple[int, PartBackfill]] = field(default_factory=list)
    retrying: list[tuple[int, Part, str]] = field(default_factory=list)
    busy: int = 0

    @property
    def ok(self) -> bool:
        """True when no part waits for a retry."""
        return not self.retrying

    def lines(self) -> list[str]:
        """One line per part touched."""
        out = [
            f"back-filled week {week} {r.part}: {r.visits} visits in Zoom's report, {r.added} new"
            for week, r in self.done
        ]
        out += [f"back-fill of week {w} {part} will be retried: {error}" for w, part, error in self.retrying]
        if self.busy:
            out.append(f"back-fill: {self.busy} part(s) held by another runner or waiting to retry")
        return out


def due_parts(deps: Deps, now: datetime) -> list[tuple[Week, Part]]:
    """Parts whose scheduled end was at least `backfill_after_minutes` before `now`, and not finished."""
    after = timedelta(minutes=deps.course.zoom.backfill_after_minutes)
    due = [(w, p) for w in deps.course.weeks for p in PARTS if w.window(p).end + after <= now]
    if not due:
        return []
    with session_scope(deps.engine) as session:
        finished = backfills.finished(session=session)
    return [(w, p) for w, p in due if (w.number, p) not in finished]


def run_backfill(
    deps: Deps,
    connect: Callable[[], ZoomApi],
    now: datetime,
    *,
    owner: str,
    wall: Callable[[], datetime] = utcnow,
) -> BackfillRun:
    """Back-fill every due part this runner can claim; `connect` (token fetch) runs only if one is due."""
    run = BackfillRun()
    api: ZoomApi | None = None
    for week, part in due_parts(deps, now):
        if not backfills.claim(deps.engine, week.number, part, owner=owner, at=wall()):
            run.busy += 1
            continue
        try:
            api = api or connect()
            result = backfill_part(deps, api, week, part)
            problem = result.problem
        except Exception as exc:  # noqa: BLE001 - whatever failed, the claim goes back for a retry
            result, problem = None, str(exc) or type(exc).__name__
        if result is not None and not problem:
            _finish(deps, week, result, owner=owner, at=wall())
            run.done.append((week.number, result))
            continue
        backfills.release(deps.engine, week.number, part, owner=owner, error=problem, at=wall())
        run.retrying.append((week.number, part, problem))
        break  # Zoom is failing: the rest waits for the next tick
    if run.done or run.retrying:
        logger.info("zoom back-fill: %s", "; ".join(run.lines()))
    return run


def _finish(deps: Deps, week: Week, result: PartBackfill, *, owner: str, at: datetime) -> None:
    """Record the outcome and mark the week's tally changed, so its summary says what was added."""
    backfills.finish(
        deps.engine, week.number, result.part, owner=owner, at=at, visits=result.visits, added=result.added
    )
    with session_scope(deps.engine) as session:
        tally_store.bump_existing(session=session, week=week.number)
