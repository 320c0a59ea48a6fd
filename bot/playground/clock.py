"""The playground's clock: it stands still until told to move, and the scheduler runs as time passes.

`serve` runs the scheduler's tick every minute; here time jumps, so the tick runs at every
calendar boundary the jump crosses (where something can become due: handlers.due.boundaries)
and at the destination, which is what a minute-by-minute scheduler would have done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from handlers.schedule import due
from rules.course import Course, Week

PRESETS: dict[str, tuple[str, Callable[[Course, Week], datetime]]] = {
    "webinar": ("the next webinar starts", lambda c, w: w.webinar.start),
    "discussion": ("the next discussion starts", lambda c, w: w.discussion.start),
    "discussion_end": ("the discussion ends: reflection prompts", lambda c, w: w.discussion.end),
    "notice": ("/ask closes: absence notices and the tally's summary", lambda c, w: w.ask_window.end),
    "digest": ("the TA digest", lambda c, w: c.local(due.digest_time(w))),
    "reminder": ("the reflection reminder", lambda c, w: c.local(due.reminder_time(c, w))),
    "due": ("the reflection is due", lambda c, w: c.reflection_due(w)),
}


class ClockError(Exception):
    """A move the playground's clock refuses (backwards, or past the course)."""


class PlayClock:
    """A clock that stands still; `set` moves it (forward only)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        """The playground's current instant."""
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Move to a later instant."""
        with self._lock:
            if instant < self._now:
                raise ClockError("the playground's clock only moves forward: reset to start over")
            self._now = instant


def preset_time(course: Course, now: datetime, preset: str) -> datetime:
    """The first instant after `now` that the preset names (e.g. the next reminder)."""
    if preset not in PRESETS:
        raise ClockError(f"unknown preset {preset!r}: use one of {', '.join(PRESETS)}")
    _, when = PRESETS[preset]
    later = [t for t in (when(course, w) for w in course.weeks) if t > now]
    if not later:
        raise ClockError(f"no later {preset!r} in the demo course: reset to start over")
    return min(later)


def stops(boundaries: list[datetime], now: datetime, target: datetime) -> list[datetime]:
    """Where the scheduler must run on the way from `now` to `target`: each boundary, then the end."""
    crossed = sorted({b for b in boundaries if now < b < target})
    return [*crossed, target]
