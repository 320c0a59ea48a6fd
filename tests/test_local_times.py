"""Every time the bot shows a person is Slack's date token (each reader's own time zone), with the
course's wall clock as the fallback; no view formats a clock time any other way."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.views import ask_replies, prompts, reflection_form, standing_blocks
from handlers.slack.views.common import course_clock, plain_times, when
from handlers.slack.views.ta_home_blocks import ta_home_blocks
from rules.course_file import parse_course
from rules.credit import ClassRecord, StudentRecord
from storage.models import Reflection, Student
from storage.submissions import ReflectionSaved
from tests.factories import COURSE_TOML, local

COURSE = parse_course(tomllib.loads(COURSE_TOML))
WEEK = COURSE.weeks[0]
DUE = COURSE.reflection_due(WEEK)
TOKEN = re.compile(r"<!date\^(-?\d+)\^\{date_short_pretty\} \{time\}\|([^<>|]+)>")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b|\b[AP]M\b")
NOW = local(2021, 9, 20)
ZONES = ["America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Pacific/Chatham", "UTC"]


@given(
    instant=st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_the_token_carries_the_instant_and_the_course_wall_clock(instant: datetime, zone: str) -> None:
    tz = ZoneInfo(zone)
    token = when(instant, tz)
    m = TOKEN.fullmatch(token)
    assert m is not None, token
    assert int(m.group(1)) == int(instant.timestamp())
    local_ = instant.astimezone(tz)
    hour = local_.hour % 12 or 12
    wall = f"{local_:%a %b} {local_.day}, {hour}:{local_:%M} {'AM' if local_.hour < 12 else 'PM'} {local_:%Z}"
    assert m.group(2) == wall == course_clock(instant, tz)
    assert plain_times(f"due {token}.") == f"due {wall}."


def test_the_fallback_is_the_course_time_across_a_dst_change() -> None:
    assert when(local(2021, 11, 4, 13, 30), COURSE.timezone).endswith("|Thu Nov 4, 1:30 PM PDT>")
    assert when(local(2021, 11, 11, 13, 30), COURSE.timezone).endswith("|Thu Nov 11, 1:30 PM PST>")


def _saved(late: bool) -> str:
    at = DUE - timedelta(hours=1)
    row = Reflection(student_id=1, week=1, text="A. B.", sentences=2, submitted_at=at, late=late)
    return reflection_form.saved(COURSE, WEEK, ReflectionSaved("stored", row))


def _standing() -> Any:
    record = StudentRecord(Student(id=1, name="Ada", email="a@x"), [], 0, 0, 0, "on_track", [])
    return standing_blocks.standing_blocks(COURSE, record, local(2021, 9, 20), {}, 50)


SHOWN: dict[str, Callable[[], Any]] = {
    "/ask closed": lambda: ask_replies.closed(WEEK, COURSE.timezone),
    "/reflect before week 1": lambda: reflection_form.not_open_yet(COURSE),
    "reflection saved": lambda: _saved(False),
    "reflection saved late": lambda: _saved(True),
    "kept on time": lambda: reflection_form.kept_on_time(COURSE, WEEK, Reflection(submitted_at=DUE)),
    "reflection form": lambda: reflection_form.modal(COURSE, WEEK, local(2021, 9, 23, 15)),
    "reflection prompt": lambda: prompts.reflection_prompt(COURSE, WEEK, DUE),
    "reflection reminder": lambda: prompts.reflection_reminder(COURSE, WEEK, DUE),
    "/standing and Home": _standing,
    "TA Home": lambda: ta_home_blocks(COURSE, ClassRecord(COURSE, NOW, [], []), NOW),
}


@pytest.mark.parametrize("build", SHOWN.values(), ids=SHOWN.keys())
def test_each_time_shown_is_a_date_token(build: Callable[[], Any]) -> None:
    built = build()
    data = getattr(built, "__dict__", built)
    text = built if isinstance(built, str) else json.dumps(data, ensure_ascii=False)
    tokens = TOKEN.findall(text.replace('\\"', '"'))
    assert tokens, text
    assert all(COURSE.local(datetime.fromtimestamp(int(ts), UTC)).year == 2021 for ts, _ in tokens)
    assert not CLOCK.search(TOKEN.sub("", text)), text  # no clock time outside a token


ROOT = Path(__file__).resolve().parent.parent
# A clock time formatted anywhere but views/common.py (file names' %Y%m%d-%H%M stamps are not shown times).
FORMATS = re.compile(r"%[IHp]|%M(?!\.csv)|\.isoformat\(\)|strftime")


def test_no_view_or_listener_formats_a_clock_time_itself() -> None:
    offenders = []
    for path in sorted((ROOT / "handlers" / "slack").rglob("*.py")):
        if path.name == "common.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if FORMATS.search(line.replace("%Y%m%d-%H%M", "")) and "dedup_key" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
