"""The playground's demo course and people: a four-week seminar that starts today, and its roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from rules.course import Course
from rules.course_file import parse_course
from rules.roster_file import RosterRow

Role = Literal["student", "ta", "guest"]
TIMEZONE = ZoneInfo("America/Los_Angeles")
TA_CHANNEL = "C0PGTAS"
QUESTIONS_CHANNEL = "C0PGQNA"
GENERAL_CHANNEL = "C0PGGEN"
CHANNEL_NAMES = {GENERAL_CHANNEL: "general", QUESTIONS_CHANNEL: "questions", TA_CHANNEL: "ta-room"}
WEBINAR_ZOOM_ID = "81200000001"
DISCUSSION_ZOOM_ID = "81200000002"
WEEKS = 4
START_BEFORE_WEBINAR = timedelta(minutes=10)


@dataclass(frozen=True)
class Person:
    """Someone the page can act as: their Slack account and how they appear in Zoom."""

    slack_id: str
    name: str
    email: str
    role: Role
    zoom_name: str = ""
    zoom_email: str = ""
    on_roster_slack_id: bool = True  # False: the roster has no Slack id; the bot links them by email

    @property
    def handle(self) -> str:
        """The Slack username, e.g. `ada`, used for @-mentions."""
        return self.email.split("@")[0]

    def as_json(self) -> dict[str, Any]:
        """What GET /playground/api/state lists for the person picker."""
        return {"id": self.slack_id, "name": self.name, "role": self.role, "handle": self.handle}


PEOPLE: tuple[Person, ...] = (
    Person("U0PGADA01", "Ada Lovelace", "ada@demo.edu", "student"),
    Person("U0PGALAN1", "Alan Turing", "alan@demo.edu", "student"),
    Person(
        "U0PGGRACE",
        "Grace Hopper",
        "grace@demo.edu",
        "student",
        zoom_name="Grace H. (iPad)",
        zoom_email="grace.hopper@gmail.com",
        on_roster_slack_id=False,
    ),
    Person("U0PGKATH1", "Katherine Johnson", "katherine@demo.edu", "student"),
    Person("U0PGZOE01", "Zoë Ångström", "zoe@demo.edu", "student"),
    Person("U0PGTIM01", "Tim Berners-Lee", "tim@demo.edu", "student"),
    Person("U0PGTA001", "Barbara Liskov", "barbara@demo.edu", "ta"),
    Person("U0PGTA002", "Donald Knuth", "donald@demo.edu", "ta"),
    Person("U0PGGUEST", "Sam Visitor", "sam@elsewhere.org", "guest", zoom_name="Sam's iPhone"),
)
BY_ID = {p.slack_id: p for p in PEOPLE}
SPEAKERS = (
    ("Dr. Jane Doe", "Serving models at scale"),
    ("Prof. Rao", "Data pipelines & <feature> stores"),
    ("Dr. Kim", "Evaluating LLM systems"),
    ("Dr. Lee", "Privacy-preserving ML"),
)


def roster() -> list[RosterRow]:
    """The demo roster (students only), as `seminar-bot roster import` would read it."""
    students = [p for p in PEOPLE if p.role == "student"]
    return [
        RosterRow(
            line=i,
            name=p.name,
            email=p.email,
            slack_user_id=p.slack_id if p.on_roster_slack_id else None,
            zoom_email=p.zoom_email or None,
        )
        for i, p in enumerate(students, start=2)
    ]


def course(today: date) -> Course:
    """Four weekly sessions from `today`, parsed exactly as `course.toml` is."""
    raw: dict[str, Any] = {
        "course": {
            "name": "Demo seminar (playground)",
            "timezone": TIMEZONE.key,
            "first_session": today,
            "last_session": today + timedelta(weeks=WEEKS - 1),
            "ta_channel": TA_CHANNEL,
            "questions_channel": QUESTIONS_CHANNEL,
            "tas": [p.slack_id for p in PEOPLE if p.role == "ta"],
        },
        "schedule": {
            "webinar": {"start": "13:30", "end": "14:30", "zoom_id": WEBINAR_ZOOM_ID},
            "discussion": {"start": "14:30", "end": "15:00", "zoom_id": DISCUSSION_ZOOM_ID},
        },
        "sessions": [
            {"week": n, "speaker": speaker, "title": title}
            for n, (speaker, title) in enumerate(SPEAKERS, start=1)
        ],
    }
    return parse_course(raw)


def start_time(demo: Course) -> datetime:
    """Where the playground's clock starts: ten minutes before week 1's webinar."""
    return demo.weeks[0].webinar.start - START_BEFORE_WEBINAR


def today_in_course() -> date:
    """Today's date where the demo course is held."""
    return datetime.now(TIMEZONE).date()


def at(day: date, hh_mm: str) -> datetime:
    """A course-local instant, for the replay script."""
    hour, minute = (int(x) for x in hh_mm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TIMEZONE)
