"""The course definition from `course.toml`: the calendar every rule is computed against."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Part = Literal["webinar", "discussion"]
PARTS: tuple[Part, Part] = ("webinar", "discussion")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ASK_GRACE = timedelta(minutes=15)
LAST_REFLECTION_DAYS = timedelta(days=7)


class CourseError(Exception):
    """A `course.toml` problem, worded as `key: problem` for the person who wrote the file."""


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
    """The credit rules of spec §8."""

    min_presence: float = 0.5
    min_questions: int = 2
    max_absences: int = 2
    reflection_sentences: tuple[int, int] = (2, 3)


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


def load_course(path: Path) -> Course:
    """Read and validate `course.toml`; any problem raises CourseError naming the key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: file not found (set COURSE_FILE)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: not valid TOML ({exc})") from None
    return parse_course(raw)


def parse_course(raw: dict[str, Any]) -> Course:
    """Validate a parsed TOML document into a Course."""
    course = _table(raw, "course")
    tz = _timezone(course)
    first = _date(course, "course.first_session", "first_session")
    last = _date(course, "course.last_session", "last_session")
    if last < first:
        raise CourseError(f"course.last_session: {last} is before first_session {first}")
    skip = _dates(course.get("skip", []), "course.skip")
    schedule_raw = _table(raw, "schedule")
    _check_weekday(schedule_raw, first)
    schedule: dict[Part, PartSchedule] = {p: _part(schedule_raw, p) for p in PARTS}
    policy = _policy(raw.get("policy", {}))
    details = _sessions(raw.get("sessions", []))
    weeks = _weeks(first, last, set(skip), tz, schedule, details)
    questions = course.get("questions_channel")
    return Course(
        name=_str(course, "course.name", "name"),
        timezone=tz,
        ta_channel=_str(course, "course.ta_channel", "ta_channel"),
        questions_channel=str(questions) if questions else None,
        tas=tuple(_str_list(course.get("tas", []), "course.tas")),
        schedule=schedule,
        policy=policy,
        weeks=weeks,
    )


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        raise CourseError(f"{key}: missing table [{key}]")
    if not isinstance(value, dict):
        raise CourseError(f"{key}: must be a table")
    return value


def _str(table: dict[str, Any], label: str, key: str) -> str:
    value = table.get(key)
    if value is None:
        raise CourseError(f"{label}: missing")
    if not isinstance(value, str) or not value.strip():
        raise CourseError(f"{label}: {value!r} is not a non-empty string")
    return value.strip()


def _str_list(value: object, label: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CourseError(f"{label}: must be a list of strings")
    return [v.strip() for v in value]


def _timezone(course: dict[str, Any]) -> ZoneInfo:
    name = _str(course, "course.timezone", "timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(f'course.timezone: "{name}" is not a known time zone') from None


def _date(table: dict[str, Any], label: str, key: str) -> date:
    if key not in table:
        raise CourseError(f"{label}: missing")
    return _one_date(table[key], label)


def _one_date(value: object, label: str) -> date:
    if isinstance(value, datetime):
        raise CourseError(f"{label}: {value} must be a date, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CourseError(f'{label}: "{value}" is not a date (YYYY-MM-DD)')


def _dates(value: object, label: str) -> list[date]:
    if not isinstance(value, list):
        raise CourseError(f"{label}: must be a list of dates")
    return [_one_date(v, f"{label}[{i}]") for i, v in enumerate(value)]


def _time(value: object, label: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            hh, mm = value.strip().split(":")
            return time(int(hh), int(mm))
        except ValueError:
            pass
    raise CourseError(f'{label}: "{value}" is not a time (HH:MM)')


def _check_weekday(schedule: dict[str, Any], first: date) -> None:
    weekday = schedule.get("weekday")
    if weekday is None:
        return
    name = str(weekday).strip().lower()
    if name not in WEEKDAYS:
        raise CourseError(f'schedule.weekday: "{weekday}" is not a weekday')
    if WEEKDAYS.index(name) != first.weekday():
        actual = WEEKDAYS[first.weekday()].title()
        raise CourseError(f"schedule.weekday: {weekday} but first_session {first} is a {actual}")


def _part(schedule: dict[str, Any], part: Part) -> PartSchedule:
    label = f"schedule.{part}"
    table = schedule.get(part)
    if not isinstance(table, dict):
        raise CourseError(f"{label}: missing (start, end, zoom_id)")
    for key in ("start", "end", "zoom_id"):
        if key not in table:
            raise CourseError(f"{label}.{key}: missing")
    start = _time(table["start"], f"{label}.start")
    end = _time(table["end"], f"{label}.end")
    if end <= start:
        raise CourseError(f"{label}.end: {end:%H:%M} is not after start {start:%H:%M}")
    zoom_id = str(table["zoom_id"]).replace(" ", "").strip()
    if not zoom_id:
        raise CourseError(f"{label}.zoom_id: empty")
    return PartSchedule(start=start, end=end, zoom_id=zoom_id)


def _policy(raw: object) -> Policy:
    if not isinstance(raw, dict):
        raise CourseError("policy: must be a table")
    default = Policy()
    presence = raw.get("min_presence", default.min_presence)
    if not isinstance(presence, int | float) or not 0 <= presence <= 1:
        raise CourseError(f"policy.min_presence: {presence!r} is not a fraction between 0 and 1")
    ints = {}
    for key in ("min_questions", "max_absences"):
        value = raw.get(key, getattr(default, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CourseError(f"policy.{key}: {value!r} is not a whole number ≥ 0")
        ints[key] = value
    sentences = raw.get("reflection_sentences", list(default.reflection_sentences))
    if (
        not isinstance(sentences, list)
        or len(sentences) != 2
        or not all(isinstance(s, int) and s >= 1 for s in sentences)
        or sentences[0] > sentences[1]
    ):
        raise CourseError(f"policy.reflection_sentences: {sentences!r} is not [min, max]")
    return Policy(
        min_presence=float(presence),
        min_questions=ints["min_questions"],
        max_absences=ints["max_absences"],
        reflection_sentences=(sentences[0], sentences[1]),
    )


def _sessions(raw: object) -> dict[int, dict[str, Any]]:
    if not isinstance(raw, list):
        raise CourseError("sessions: must be an array of tables ([[sessions]])")
    out: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise CourseError(f"sessions[{i}]: must be a table")
        week = item.get("week")
        if not isinstance(week, int) or week < 1:
            raise CourseError(f"sessions[{i}].week: {week!r} is not a week number")
        out[week] = item
    return out


def _weeks(
    first: date,
    last: date,
    skip: set[date],
    tz: ZoneInfo,
    schedule: dict[Part, PartSchedule],
    details: dict[int, dict[str, Any]],
) -> tuple[Week, ...]:
    dates = []
    day = first
    while day <= last:
        if day not in skip:
            dates.append(day)
        day += timedelta(days=7)
    weeks = []
    for number, day in enumerate(dates, start=1):
        extra = details.get(number, {})
        windows = {p: _window(day, schedule[p], tz) for p in PARTS}
        weeks.append(
            Week(
                number=number,
                date=day,
                webinar=windows["webinar"],
                discussion=windows["discussion"],
                speaker=str(extra.get("speaker", "")),
                title=str(extra.get("title", "")),
                recording_url=str(extra["recording_url"]) if extra.get("recording_url") else None,
            )
        )
    unknown = sorted(set(details) - {w.number for w in weeks})
    if unknown:
        raise CourseError(f"sessions.week: {unknown[0]} is not a scheduled week (1–{len(weeks)})")
    return tuple(weeks)


def _window(day: date, part: PartSchedule, tz: ZoneInfo) -> Window:
    """Local wall-clock times on that date, so a DST change never shifts the session."""
    start = datetime.combine(day, part.start, tzinfo=tz)
    end = datetime.combine(day, part.end, tzinfo=tz)
    return Window(start, end)
