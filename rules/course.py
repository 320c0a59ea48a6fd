"""The course: its calendar (weeks, parts, windows) and policy, the clock every other rule reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Part = Literal["webinar", "discussion"]
PARTS: tuple[Part, Part] = ("webinar", "discussion")
ASK_GRACE = timedelta(minutes=15)
LAST_REFLECTION_DAYS = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """A half-open interval [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        """Scheduled length in minutes."""
        return (self.end - self.start).total_seconds() / 60

    def contains(self, instant: datetime) -> bool:
        """True when the instant falls inside the window."""
        return self.start <= instant < self.end


@dataclass(frozen=True)
class PartSchedule:
    """One part's weekly local times and its Zoom meeting or webinar id."""

    start: time
    end: time
    zoom_id: str


@dataclass(frozen=True)
class Policy:
    """The credit rules: presence, questions, absences and reflection length (README "`course.toml`")."""

    min_presence: float = 0.5
    min_questions: int = 2
    max_absences: int = 2
    reflection_sentences: tuple[int, int] = (2, 3)


@dataclass(frozen=True)
class ZoomOptions:
    """The optional `[zoom]` table: who is staff, and when a part's report is back-filled."""

    staff: tuple[str, ...] = ()
    backfill_after_minutes: int = 30


@dataclass(frozen=True)
class Week:
    """One scheduled session: its number, local date, both parts' windows and details."""

    number: int
    date: date
    webinar: Window
    discussion: Window
    speaker: str = ""
    title: str = ""
    recording_url: str | None = None

    def window(self, part: Part) -> Window:
        """The scheduled window of a part."""
        return self.webinar if part == "webinar" else self.discussion

    @property
    def ask_window(self) -> Window:
        """`/ask` is open from the webinar's start to 15 minutes after the discussion ends."""
        return Window(self.webinar.start, self.discussion.end + ASK_GRACE)


@dataclass(frozen=True)
class Course:
    """A validated course: identity, channels, TAs, schedule, policy and the list of weeks."""

    name: str
    timezone: ZoneInfo
    ta_channel: str
    questions_channel: str | None
    tas: tuple[str, ...]
    schedule: dict[Part, PartSchedule]
    policy: Policy
    weeks: tuple[Week, ...] = field(default_factory=tuple)
    zoom: ZoomOptions = field(default_factory=ZoomOptions)

    def week(self, number: int) -> Week | None:
        """The week with this number, or None."""
        if 1 <= number <= len(self.weeks):
            return self.weeks[number - 1]
        return None

    def part_for_zoom_id(self, zoom_id: str) -> Part | None:
        """Which part a Zoom meeting/webinar id belongs to (None for unknown ids)."""
        for part, sched in self.schedule.items():
            if sched.zoom_id == zoom_id:
                return part
        return None

    def ended(self, week: Week, now: datetime) -> bool:
        """A week has ended once its discussion's scheduled end has passed."""
        return now >= week.discussion.end

    def reflection_due(self, week: Week) -> datetime:
        """Due when the next session's webinar starts; the last one 7 days after its own."""
        nxt = self.week(week.number + 1)
        return nxt.webinar.start if nxt else week.webinar.start + LAST_REFLECTION_DAYS

    def ask_week(self, now: datetime) -> Week | None:
        """The week whose `/ask` window holds this instant."""
        return next((w for w in self.weeks if w.ask_window.contains(now)), None)

    def next_ask_week(self, now: datetime) -> Week | None:
        """The next week whose `/ask` window opens after this instant."""
        return next((w for w in self.weeks if w.ask_window.start > now), None)

    def open_reflection_week(self, now: datetime) -> Week | None:
        """The latest week whose reflection has opened (its webinar has started)."""
        started = [w for w in self.weeks if w.webinar.start <= now]
        return started[-1] if started else None

    def local(self, instant: datetime) -> datetime:
        """An instant in the course's time zone, for messages."""
        return instant.astimezone(self.timezone)
