"""`course.toml` as a Course: every table and key validated, any problem named as `key: problem`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.course import PARTS, Course, Part, PartSchedule, Policy, Week, Window, ZoomOptions
from rules.course_values import (
    CourseError,
    a_time,
    date_at,
    date_list,
    is_number,
    is_whole,
    no_unknown_keys,
    optional_string,
    show,
    string,
    string_list,
    whole,
)

__all__ = ["CourseError", "parse_course"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_WEEKS = 520  # ten years: a longer span is a typo in a date, not a course
MAX_BACKFILL_MINUTES = 7 * 24 * 60
SESSION_TEXT = ("speaker", "title", "recording_url")


def parse_course(raw: dict[str, Any]) -> Course:
    """Validate a parsed TOML document into a Course."""
    course = _table(raw, "course")
    tz = _timezone(course)
    first = date_at(course, "course.first_session", "first_session")
    last = date_at(course, "course.last_session", "last_session")
    if last < first:
        raise CourseError(f"course.last_session: {last} is before first_session {first}")
    if (last - first).days > MAX_WEEKS * 7:
        raise CourseError(f"course.last_session: {last} is more than {MAX_WEEKS} weeks after {first}")
    skip = date_list(course.get("skip", []), "course.skip")
    schedule_raw = _table(raw, "schedule")
    _check_weekday(schedule_raw, first)
    schedule: dict[Part, PartSchedule] = {p: _part(schedule_raw, p) for p in PARTS}
    _check_parts(schedule)
    policy = _policy(raw.get("policy", {}))
    zoom = _zoom(raw.get("zoom", {}))
    details = _sessions(raw.get("sessions", []))
    weeks = _weeks(first, last, set(skip), tz, schedule, details)
    return Course(
        name=string(course, "course.name", "name"),
        timezone=tz,
        ta_channel=string(course, "course.ta_channel", "ta_channel"),
        questions_channel=optional_string(course, "course.questions_channel", "questions_channel"),
        tas=tuple(string_list(course.get("tas", []), "course.tas")),
        schedule=schedule,
        policy=policy,
        weeks=weeks,
        zoom=zoom,
    )


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        raise CourseError(f"{key}: missing table [{key}]")
    if not isinstance(value, dict):
        raise CourseError(f"{key}: {show(value)} is not a table")
    return value


def _timezone(course: dict[str, Any]) -> ZoneInfo:
    name = string(course, "course.timezone", "timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CourseError(f"course.timezone: {show(name)} is not a known time zone") from None


def _check_weekday(schedule: dict[str, Any], first: date) -> None:
    weekday = schedule.get("weekday")
    if weekday is None:
        return
    name = weekday.strip().lower() if isinstance(weekday, str) else ""
    if name not in WEEKDAYS:
        raise CourseError(f"schedule.weekday: {show(weekday)} is not a weekday")
    if WEEKDAYS.index(name) != first.weekday():
        actual = WEEKDAYS[first.weekday()].title()
        raise CourseError(f"schedule.weekday: {weekday} but first_session {first} is a {actual}")


def _part(schedule: dict[str, Any], part: Part) -> PartSchedule:
    label = f"schedule.{part}"
    table = schedule.get(part)
    if table is None:
        raise CourseError(f"{label}: missing (start, end, zoom_id)")
    if not isinstance(table, dict):
        raise CourseError(f"{label}: {show(table)} is not a table (start, end, zoom_id)")
    for key in ("start", "end", "zoom_id"):
        if key not in table:
            raise CourseError(f"{label}.{key}: missing")
    start = a_time(table["start"], f"{label}.start")
    end = a_time(table["end"], f"{label}.end")
    if end <= start:
        raise CourseError(f"{label}.end: {end:%H:%M} is not after start {start:%H:%M}")
    return PartSchedule(start=start, end=end, zoom_id=_zoom_id(table["zoom_id"], f"{label}.zoom_id"))


def _zoom_id(value: object, label: str) -> str:
    """A meeting or webinar number, written as digits (spaces allowed) or an integer."""
    if is_whole(value) and value > 0:
        return str(value)
    digits = value.replace(" ", "") if isinstance(value, str) else ""
    if not (digits.isascii() and digits.isdigit()):
        raise CourseError(f"{label}: {show(value)} is not a Zoom meeting or webinar id (digits)")
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
        raise CourseError(f"policy: {show(raw)} is not a table")
    no_unknown_keys(raw, "policy", Policy.__dataclass_fields__)
    default = Policy()
    presence = raw.get("min_presence", default.min_presence)
    if not is_number(presence) or not 0 <= presence <= 1:
        raise CourseError(f"policy.min_presence: {show(presence)} is not a fraction between 0 and 1")
    sentences = raw.get("reflection_sentences", list(default.reflection_sentences))
    if (
        not isinstance(sentences, list)
        or len(sentences) != 2
        or not all(is_whole(s) and s >= 1 for s in sentences)
        or sentences[0] > sentences[1]
    ):
        raise CourseError(
            f"policy.reflection_sentences: {show(sentences)} is not [min, max] (whole numbers, 1 ≤ min ≤ max)"
        )
    return Policy(
        min_presence=float(presence),
        min_questions=whole(raw, "policy.min_questions", "min_questions", default.min_questions),
        max_absences=whole(raw, "policy.max_absences", "max_absences", default.max_absences),
        reflection_sentences=(sentences[0], sentences[1]),
    )


def _zoom(raw: object) -> ZoomOptions:
    if not isinstance(raw, dict):
        raise CourseError(f"zoom: {show(raw)} is not a table")
    no_unknown_keys(raw, "zoom", ZoomOptions.__dataclass_fields__)
    default = ZoomOptions()
    after = whole(
        raw, "zoom.backfill_after_minutes", "backfill_after_minutes", default.backfill_after_minutes
    )
    if after > MAX_BACKFILL_MINUTES:
        raise CourseError(
            f"zoom.backfill_after_minutes: {after} is more than a week ({MAX_BACKFILL_MINUTES})"
        )
    return ZoomOptions(
        staff=tuple(string_list(raw.get("staff", []), "zoom.staff")), backfill_after_minutes=after
    )


def _sessions(raw: object) -> dict[int, dict[str, Any]]:
    if not isinstance(raw, list):
        raise CourseError("sessions: must be an array of tables ([[sessions]])")
    out: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise CourseError(f"sessions[{i}]: {show(item)} is not a table")
        week = item.get("week")
        if not is_whole(week) or week < 1:
            raise CourseError(f"sessions[{i}].week: {show(week)} is not a week number")
        if week in out:
            raise CourseError(f"sessions[{i}].week: week {week} is already described above")
        for key in SESSION_TEXT:
            if key in item and not isinstance(item[key], str):
                raise CourseError(f"sessions[{i}].{key}: {show(item[key])} is not a string")
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
