"""Moving the playground's clock, with the scheduler's tick at each instant it would have mattered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.playground.actions import PlayError
from bot.playground.clock import PRESETS, ClockError, preset_time, stops
from bot.playground.world import World
from handlers.schedule import due
from handlers.schedule.jobs import run_tick

MAX_MINUTES = 60 * 24 * 60


def target(world: World, body: dict[str, Any]) -> datetime:
    """Where `{"preset": …}`, `{"minutes": n}` or `{"to": ISO-8601}` points, from now."""
    now, course = world.clock(), world.runtime.course
    try:
        if "preset" in body:
            return preset_time(course, now, str(body["preset"]))
        if "minutes" in body:
            minutes = body["minutes"]
            if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 < minutes <= MAX_MINUTES:
                raise PlayError(f"minutes must be a whole number from 1 to {MAX_MINUTES}")
            return now + timedelta(minutes=minutes)
        if "to" in body:
            at = datetime.fromisoformat(str(body["to"]))
            return at if at.tzinfo else at.replace(tzinfo=course.timezone)
    except (ClockError, ValueError) as exc:
        raise PlayError(str(exc)) from None
    raise PlayError('say where to: {"preset": name}, {"minutes": n} or {"to": "2030-01-02T15:00"}')


def advance(world: World, to: datetime) -> list[str]:
    """Move the clock to `to`, running the scheduler's tick at every boundary on the way."""
    course, deps = world.runtime.course, world.runtime.deps
    now = world.clock()
    if to < now:
        raise PlayError("the playground's clock only moves forward: reset to start over")
    boundaries = [b for w in course.weeks for b in due.boundaries(course, w)]
    lines: list[str] = []
    for instant in stops(boundaries, now, to):
        world.clock.set(instant)
        summary = run_tick(deps, world.scheduler, instant)
        if summary is not None and (summary.due or summary.sent or not summary.ok):
            local = course.local(instant).strftime("%a %H:%M")
            first, *rest = summary.lines()
            lines += [f"{local}: {first.split(': ', 1)[-1]}", *rest]
    world.note("clock", "the clock moved to " + course.local(to).strftime("%a %b %d, %H:%M"))
    for line in lines:
        world.note("scheduler", line)
    return lines


def presets_json(world: World) -> list[dict[str, Any]]:
    """Each clock button: what it jumps to and when (None once the course has no such instant)."""
    out = []
    for name, (label, _) in PRESETS.items():
        try:
            at: str | None = preset_time(world.runtime.course, world.clock(), name).isoformat()
        except ClockError:
            at = None
        out.append({"name": name, "label": label, "at": at})
    return out
