"""The course definition from `course.toml`: the calendar every rule is computed against."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Part = Literal["webinar", "discussion"]
PARTS: tuple[Part, Part] = ("webinar", "discussion")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ASK_GRACE = timedelta(minutes=15)
MAX_WEEKS = 520  # ten years: a longer span is a typo in a date, not a course
MAX_BACKFILL_MINUTES = 7 * 24 * 60
SESSION_TEXT = ("speaker", "title", "recording_url")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
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
    if (last - first).days > MAX_WEEKS * 7:
        raise CourseError(f"course.last_session: {last} is more than {MAX_WEEKS} weeks after {first}")
    skip = _dates(course.get("skip", []), "course.skip")
    schedule_raw = _table(raw, "schedule")
    _check_weekday(schedule_raw, first)
    schedule: dict[Part, PartSchedule] = {p: _part(schedule_raw, p) for p in PARTS}
    _check_parts(schedule)
    policy = _policy(raw.get("policy", {}))
    zoom = _zoom(raw.get("zoom", {}))
    details = _sessions(raw.get("sessions", []))
    weeks = _weeks(first, last, set(skip), tz, schedule, details)
    return Course(
        name=_str(course, "course.name", "name"),
        timezone=tz,
        ta_channel=_str(course, "course.ta_channel", "ta_channel"),
        questions_channel=_optional_str(course, "course.questions_channel", "questions_channel"),
        tas=tuple(_str_list(course.get("tas", []), "course.tas")),
        schedule=schedule,
        policy=policy,
        weeks=weeks,
        zoom=zoom,
    )


def _show(value: object) -> str:
    """A value written as TOML writes it, on one short line, for an error message."""
    text = _toml(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, date | time):
        return value.isoformat()
    return repr(value)


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        raise CourseError(f"{key}: missing table [{key}]")
    if not isinstance(value, dict):
        raise CourseError(f"{key}: {_show(value)} is not a table")
    return value


def _str(table: dict[str, Any], label: str, key: str) -> str:
    value = table.get(key)
    if value is None:
        raise CourseError(f"{label}: missing")
    if not isinstance(value, str) or not value.strip():
        raise CourseError(f"{label}: {_show(value)} is not a non-empty string")
    return value.strip()


def _optional_str(table: dict[str, Any], label: str, key: str) -> str | None:
    value = table.get(key)
    if value is None or value == "":
        return None
    return _str(table, label, key)


def _str_list(value: object, label: str) -> list[str]:
    if not isinstance(value, list):
        raise CourseError(f"{label}: {_show(value)} is not a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise CourseError(f"{label}[{i}]: {_show(item)} is not a non-empty string")
    return [v.strip() for v in value]


def _timezone(course: dict[str, Any]) -> ZoneInfo:
    name = _str(course, "course.timezone", "timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CourseError(f"course.timezone: {_show(name)} is not a known time zone") from None


def _date(table: dict[str, Any], label: str, key: str) -> date:
    if key not in table:
        raise CourseError(f"{label}: missing")
    return _one_date(table[key], label)


def _one_date(value: object, label: str) -> date:
    if isinstance(value, datetime):
        raise CourseError(f"{label}: {value.isoformat()} must be a date, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CourseError(f"{label}: {_show(value)} is not a date (YYYY-MM-DD)")


def _dates(value: object, label: str) -> list[date]:
    if not isinstance(value, list):
        raise CourseError(f"{label}: {_show(value)} is not a list of dates")
    return [_one_date(v, f"{label}[{i}]") for i, v in enumerate(value)]


def _time(value: object, label: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        hh, _, mm = value.strip().partition(":")
        if len(hh) in (1, 2) and len(mm) == 2 and (hh + mm).isascii() and (hh + mm).isdigit():
            if int(hh) < 24 and int(mm) < 60:
                return time(int(hh), int(mm))
    raise CourseError(f"{label}: {_show(value)} is not a time (HH:MM)")


def _check_weekday(schedule: dict[str, Any], first: date) -> None:
    weekday = schedule.get("weekday")
    if weekday is None:
        return
    name = weekday.strip().lower() if isinstance(weekday, str) else ""
    if name not in WEEKDAYS:
        raise CourseError(f"schedule.weekday: {_show(weekday)} is not a weekday")
    if WEEKDAYS.index(name) != first.weekday():
        actual = WEEKDAYS[first.weekday()].title()
        raise CourseError(f"schedule.weekday: {weekday} but first_session {first} is a {actual}")


def _part(schedule: dict[str, Any], part: Part) -> PartSchedule:
    label = f"schedule.{part}"
    table = schedule.get(part)
    if table is None:
        raise CourseError(f"{label}: missing (start, end, zoom_id)")
    if not isinstance(table, dict):
        raise CourseError(f"{label}: {_show(table)} is not a table (start, end, zoom_id)")
    for key in ("start", "end", "zoom_id"):
        if key not in table:
            raise CourseError(f"{label}.{key}: missing")
    start = _time(table["start"], f"{label}.start")
    end = _time(table["end"], f"{label}.end")
    if end <= start:
        raise CourseError(f"{label}.end: {end:%H:%M} is not after start {start:%H:%M}")
    return PartSchedule(start=start, end=end, zoom_id=_zoom_id(table["zoom_id"], f"{label}.zoom_id"))


def _zoom_id(value: object, label: str) -> str:
    """A meeting or webinar number, written as digits (spaces allowed) or an integer."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    digits = value.replace(" ", "") if isinstance(value, str) else ""
    if not (digits.isascii() and digits.isdigit()):
        raise CourseError(f"{label}: {_show(value)} is not a Zoom meeting or webinar id (digits)")
    return digits


def _check_parts(schedule: dict[Part, PartSchedule]) -> None:
    """Two different Zoom ids, and the discussion after the webinar, or presence is ambiguous."""
    webinar, discussion = schedule["webinar"], schedule["discussion"]
    if webinar.zoom_id == discussion.zoom_id:
        raise CourseError(
            f"schedule.discussion.zoom_id: {discussion.zoom_id} is also the webinar's id; "
            "each part needs its own"
        )
    if discussion.start < webinar.end:
        raise CourseError(
            f"schedule.discussion.start: {discussion.start:%H:%M} is before the webinar ends "
            f"({webinar.end:%H:%M}); the parts must not overlap"
        )


def _policy(raw: object) -> Policy:
    if not isinstance(raw, dict):
        raise CourseError(f"policy: {_show(raw)} is not a table")
    _no_unknown_keys(raw, "policy", Policy.__dataclass_fields__)
    default = Policy()
    presence = raw.get("min_presence", default.min_presence)
    if not _is_number(presence) or not 0 <= presence <= 1:
        raise CourseError(f"policy.min_presence: {_show(presence)} is not a fraction between 0 and 1")
    sentences = raw.get("reflection_sentences", list(default.reflection_sentences))
    if (
        not isinstance(sentences, list)
        or len(sentences) != 2
        or not all(_is_whole(s) and s >= 1 for s in sentences)
        or sentences[0] > sentences[1]
    ):
        raise CourseError(
            f"policy.reflection_sentences: {_show(sentences)} is not [min, max] "
            "(whole numbers, 1 ≤ min ≤ max)"
        )
    return Policy(
        min_presence=float(presence),
        min_questions=_whole(raw, "policy.min_questions", "min_questions", default.min_questions),
        max_absences=_whole(raw, "policy.max_absences", "max_absences", default.max_absences),
        reflection_sentences=(sentences[0], sentences[1]),
    )


def _zoom(raw: object) -> ZoomOptions:
    if not isinstance(raw, dict):
        raise CourseError(f"zoom: {_show(raw)} is not a table")
    _no_unknown_keys(raw, "zoom", ZoomOptions.__dataclass_fields__)
    default = ZoomOptions()
    after = _whole(
        raw, "zoom.backfill_after_minutes", "backfill_after_minutes", default.backfill_after_minutes
    )
    if after > MAX_BACKFILL_MINUTES:
        raise CourseError(
            f"zoom.backfill_after_minutes: {after} is more than a week ({MAX_BACKFILL_MINUTES})"
        )
    return ZoomOptions(
        staff=tuple(_str_list(raw.get("staff", []), "zoom.staff")), backfill_after_minutes=after
    )


def _is_number(value: object) -> bool:
    """An int or float: TOML's `true` is a bool, which Python would otherwise take for 1."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole(table: dict[str, Any], label: str, key: str, default: int) -> int:
    value = table.get(key, default)
    if not _is_whole(value) or value < 0:
        raise CourseError(f"{label}: {_show(value)} is not a whole number ≥ 0")
    return int(value)


def _no_unknown_keys(table: dict[str, Any], label: str, known: Iterable[str]) -> None:
    """A misspelt key would otherwise fall back to its default without a word."""
    unknown = sorted(set(table) - set(known))
    if unknown:
        name = unknown[0] if BARE_KEY.fullmatch(unknown[0]) else _show(unknown[0])
        raise CourseError(f"{label}.{name}: unknown key (expected one of {', '.join(sorted(known))})")


def _sessions(raw: object) -> dict[int, dict[str, Any]]:
    if not isinstance(raw, list):
        raise CourseError("sessions: must be an array of tables ([[sessions]])")
    out: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise CourseError(f"sessions[{i}]: {_show(item)} is not a table")
        week = item.get("week")
        if not isinstance(week, int) or isinstance(week, bool) or week < 1:
            raise CourseError(f"sessions[{i}].week: {_show(week)} is not a week number")
        if week in out:
            raise CourseError(f"sessions[{i}].week: week {week} is already described above")
        for key in SESSION_TEXT:
            if key in item and not isinstance(item[key], str):
                raise CourseError(f"sessions[{i}].{key}: {_show(item[key])} is not a string")
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
    count = (last - first).days // 7 + 1  # never steps past `last`, so never past date.max
    dates = [d for d in (first + timedelta(weeks=i) for i in range(count)) if d not in skip]
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
    if not weeks:
        raise CourseError(
            f"course.skip: skips every session from {first} to {last}; the calendar has no weeks"
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
