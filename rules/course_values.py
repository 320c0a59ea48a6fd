"""How `course.toml` values are read: each check names the key and shows the value as written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any, TypeGuard

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class CourseError(Exception):
    """A `course.toml` problem, worded as `key: problem` for the person who wrote the file."""


def show(value: object) -> str:
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


def string(table: dict[str, Any], label: str, key: str) -> str:
    """A required non-empty string, stripped."""
    value = table.get(key)
    if value is None:
        raise CourseError(f"{label}: missing")
    if not isinstance(value, str) or not value.strip():
        raise CourseError(f"{label}: {show(value)} is not a non-empty string")
    return value.strip()


def optional_string(table: dict[str, Any], label: str, key: str) -> str | None:
    """A string that may be absent or empty (None then)."""
    value = table.get(key)
    if value is None or value == "":
        return None
    return string(table, label, key)


def string_list(value: object, label: str) -> list[str]:
    """A list of non-empty strings, stripped."""
    if not isinstance(value, list):
        raise CourseError(f"{label}: {show(value)} is not a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise CourseError(f"{label}[{i}]: {show(item)} is not a non-empty string")
    return [v.strip() for v in value]


def date_at(table: dict[str, Any], label: str, key: str) -> date:
    """A required date under `key`."""
    if key not in table:
        raise CourseError(f"{label}: missing")
    return a_date(table[key], label)


def a_date(value: object, label: str) -> date:
    """A TOML date (or an ISO date string), never a date and time."""
    if isinstance(value, datetime):
        raise CourseError(f"{label}: {value.isoformat()} must be a date, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CourseError(f"{label}: {show(value)} is not a date (YYYY-MM-DD)")


def date_list(value: object, label: str) -> list[date]:
    """A list of dates."""
    if not isinstance(value, list):
        raise CourseError(f"{label}: {show(value)} is not a list of dates")
    return [a_date(v, f"{label}[{i}]") for i, v in enumerate(value)]


def a_time(value: object, label: str) -> time:
    """A wall-clock time, HH:MM or a TOML time (seconds dropped)."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        hh, _, mm = value.strip().partition(":")
        if len(hh) in (1, 2) and len(mm) == 2 and (hh + mm).isascii() and (hh + mm).isdigit():
            if int(hh) < 24 and int(mm) < 60:
                return time(int(hh), int(mm))
    raise CourseError(f"{label}: {show(value)} is not a time (HH:MM)")


def is_number(value: object) -> bool:
    """An int or float: TOML's `true` is a bool, which Python would otherwise take for 1."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_whole(value: object) -> TypeGuard[int]:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def whole(table: dict[str, Any], label: str, key: str, default: int) -> int:
    """A whole number ≥ 0 under `key`, else `default`."""
    value = table.get(key, default)
    if not is_whole(value) or value < 0:
        raise CourseError(f"{label}: {show(value)} is not a whole number ≥ 0")
    return int(value)


def no_unknown_keys(table: dict[str, Any], label: str, known: Iterable[str]) -> None:
    """A misspelt key would otherwise fall back to its default without a word."""
    unknown = sorted(set(table) - set(known))
    if unknown:
        name = unknown[0] if BARE_KEY.fullmatch(unknown[0]) else show(unknown[0])
        raise CourseError(f"{label}.{name}: unknown key (expected one of {', '.join(sorted(known))})")
