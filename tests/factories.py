"""Small builders for test data: the spec's course, students, settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.models import Student

PACIFIC = ZoneInfo("America/Los_Angeles")

# The README's example course: Thursdays 2021-09-23 … 2021-12-02, Thanksgiving skipped (10 weeks).
COURSE_TOML = """
[course]
name = "CS 528: Machine Learning Systems Seminar"
timezone = "America/Los_Angeles"
first_session = 2021-09-23
last_session = 2021-12-02
skip = [2021-11-25]
ta_channel = "C0TAS"
questions_channel = "C0QNA"
tas = ["U0TA1", "U0TA2"]

[schedule]
webinar = { start = "13:30", end = "14:30", zoom_id = "81234567890" }
discussion = { start = "14:30", end = "15:00", zoom_id = "81234567891" }

[policy]
min_presence = 0.5
min_questions = 2
max_absences = 2
reflection_sentences = [2, 3]

[[sessions]]
week = 1
speaker = "Dr. Ada Example"
title = "Serving at scale"
recording_url = "https://www.youtube.com/watch?v=week1"
"""


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware instant in the course's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=PACIFIC)


def write_course(tmp_path: Path, text: str = COURSE_TOML) -> Path:
    """Write a course.toml and return its path."""
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path


def add_student(
    session: Session,
    name: str,
    email: str,
    *,
    slack_user_id: str | None = None,
    zoom_email: str | None = None,
    status: str = "active",
) -> Student:
    """Insert one student and return it with its id."""
    student = Student(
        name=name,
        email=email.lower(),
        slack_user_id=slack_user_id,
        zoom_email=zoom_email,
        status=status,
    )
    session.add(student)
    session.flush()
    return student
