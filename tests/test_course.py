"""The course calendar: weeks, skips, DST and clear errors for bad files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime import load_course
from rules.course_file import CourseError
from tests.factories import COURSE_TOML, local, write_course


def test_weeks_skip_thanksgiving(course_file: Path) -> None:
    course = load_course(course_file)
    assert len(course.weeks) == 10
    assert course.weeks[0].date == date(2021, 9, 23)
    assert date(2021, 11, 25) not in [w.date for w in course.weeks]
    assert course.weeks[-1].number == 10 and course.weeks[-1].date == date(2021, 12, 2)
    assert course.weeks[0].speaker == "Dr. Ada Example"
    assert course.weeks[0].recording_url == "https://www.youtube.com/watch?v=week1"


def test_dst_keeps_local_times(course_file: Path) -> None:
    """DST ends 2021-11-07 in Los Angeles: 13:30 local stays 13:30, UTC moves by an hour."""
    course = load_course(course_file)
    before = course.week(7)
    after = course.week(8)
    assert before and after
    assert before.date == date(2021, 11, 4) and after.date == date(2021, 11, 11)
    for week in (before, after):
        assert course.local(week.webinar.start).strftime("%H:%M") == "13:30"
        assert course.local(week.discussion.end).strftime("%H:%M") == "15:00"
    assert before.webinar.start.astimezone(UTC).hour == 20
    assert after.webinar.start.astimezone(UTC).hour == 21
    assert before.webinar.minutes == after.webinar.minutes == 60


def test_windows_due_and_ask(course_file: Path) -> None:
    course = load_course(course_file)
    w1, w2 = course.weeks[0], course.weeks[1]
    assert course.reflection_due(w1) == w2.webinar.start
    assert course.reflection_due(course.weeks[-1]) == course.weeks[-1].webinar.start + timedelta(days=7)
    assert course.ask_week(local(2021, 9, 23, 15, 14)) == w1
    assert course.ask_week(local(2021, 9, 23, 15, 15)) is None
    assert course.next_ask_week(local(2021, 9, 23, 15, 15)) == w2
    assert course.part_for_zoom_id("81234567891") == "discussion"
    assert course.part_for_zoom_id("999") is None
    assert not course.ended(w1, local(2021, 9, 23, 14, 59))
    assert course.ended(w1, local(2021, 9, 23, 15, 0))
    assert course.open_reflection_week(datetime(2021, 9, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'start = "13:30", end = "14:30", zoom_id = "81234567890"',
            'start = "25:61", end = "14:30", zoom_id = "81234567890"',
            'schedule.webinar.start: "25:61" is not a time',
        ),
        ('timezone = "America/Los_Angeles"', 'timezone = "Mars/Olympus"', "course.timezone"),
        ("first_session = 2021-09-23", "first_session = 2021-09-31", "not valid TOML"),
        ('name = "CS 528: Machine Learning Systems Seminar"\n', "", "course.name: missing"),
        ("min_presence = 0.5", "min_presence = 1.5", "policy.min_presence"),
        ("reflection_sentences = [2, 3]", "reflection_sentences = [3, 2]", "policy.reflection_sentences"),
        ("[schedule]", '[schedule]\nweekday = "Funday"', 'schedule.weekday: "Funday" is not a weekday'),
        ("[schedule]", '[schedule]\nweekday = "Monday"', "schedule.weekday: Monday but first_session"),
        ('end = "15:00"', 'end = "14:00"', "schedule.discussion.end"),
        ("week = 1", "week = 40", "sessions.week: 40"),
        ("last_session = 2021-12-02", "last_session = 2021-09-01", "course.last_session"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in COURSE_TOML
    path = write_course(tmp_path, COURSE_TOML.replace(old, new, 1))
    with pytest.raises(CourseError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_course(path)


def test_missing_table_and_file(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match=r"schedule: missing table"):
        load_course(write_course(tmp_path, COURSE_TOML.split("[schedule]")[0]))
    with pytest.raises(CourseError, match="file not found"):
        load_course(tmp_path / "nope.toml")


def test_weekday_matching_first_session_is_accepted(tmp_path: Path) -> None:
    path = write_course(tmp_path, COURSE_TOML.replace("[schedule]", '[schedule]\nweekday = "Thursday"'))
    assert len(load_course(path).weeks) == 10
