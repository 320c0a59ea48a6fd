"""`[zoom] staff`: hosts, panelists and the speaker are never counted and never listed unmatched.

The same course file is read by every source: signed webhooks, report back-fill and the portal CSV.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app as cli
from bot.runtime import Runtime
from rules.course import ZoomOptions
from rules.identity import Identity, Staff
from rules.presence import presence_from_marks
from storage.db import session_scope
from tests.conftest import Live
from tests.factories import COURSE_TOML, add_student, local, write_course
from tests.fakes.zoom_api import FakeZoom
from tests.test_presence import COURSE, mark, t
from tests.test_zoom_backfill import MEETING_PATH, WEBINAR_PATH, participant, serve_week1
from tests.test_zoom_csv import WEEK1, redate
from tests.zoom_payloads import WEBINAR_ID, post, visit

STAFF = '\n[zoom]\nstaff = ["HOST@example.edu", "  dr. ada  EXAMPLE ", "Mod@Example.edu"]\n'


@pytest.fixture
def course_file(tmp_path: Path) -> Path:
    """The spec's course with a staff list."""
    return write_course(tmp_path, COURSE_TOML + STAFF)


@pytest.fixture
def invoke(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = runtime.settings
    for key, value in {
        "DATABASE_URL": s.database_url,
        "COURSE_FILE": s.course_file,
        "ZOOM_ACCOUNT_ID": s.zoom_account_id,
        "ZOOM_CLIENT_ID": s.zoom_client_id,
        "ZOOM_CLIENT_SECRET": s.zoom_client_secret,
        "ZOOM_API_URL": s.zoom_api_url,
        "ZOOM_OAUTH_URL": s.zoom_oauth_url,
    }.items():
        monkeypatch.setenv(key, str(value))

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return run


def report(invoke) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out = invoke("report", "--week", "1", "--format", "json")
    assert out.exit_code == 0, out.output
    data: dict[str, object] = json.loads(out.stdout)
    return data


def test_staff_match_by_email_any_case_or_name_ignoring_case_and_spaces() -> None:
    staff = Staff.of(["HOST@example.edu", "  dr. ada  EXAMPLE "])
    assert Identity(email="host@EXAMPLE.edu") in staff
    assert Identity(name="Dr.Ada Example") in staff
    assert Identity(name="DR. ADA EXAMPLE", email="ada.speaker@gmail.com") in staff
    assert Identity(name="Ada Example") not in staff and Identity(email="host@example.com") not in staff
    assert Identity() not in Staff.of([])


def test_staff_are_never_counted_even_when_they_match_a_student() -> None:
    course = replace(COURSE, zoom=ZoomOptions(staff=("ada@x.edu", "The Speaker")))
    marks = [
        mark("join", t(13, 30), key="a", email="ADA@x.edu"),
        mark("leave", t(14, 0), key="a", email="ADA@x.edu"),
        mark("join", t(13, 30), key="s", email="", user_name="the  speaker"),
        mark("leave", t(14, 30), key="s", email="", user_name="the  speaker"),
        mark("join", t(13, 30), key="b", email="bob@x.edu"),
        mark("leave", t(13, 50), key="b", email="bob@x.edu"),
    ]
    students = {"ada@x.edu": 1, "bob@x.edu": 2}
    table = presence_from_marks(
        marks, course=course, now=local(2021, 12, 31), match=lambda who: students.get(who.email.lower())
    )
    assert table.minutes == {(2, 1, "webinar"): 20.0}
    assert table.unmatched == []


def test_a_staff_name_yields_to_a_students_email_or_linked_id() -> None:
    """A panelist "Sam Lee" must not take the minutes of the student Sam Lee who joined with their email."""
    course = replace(COURSE, zoom=ZoomOptions(staff=("Sam Lee",)))
    marks = [
        mark("join", t(13, 30), key="student", email="sam@x.edu", user_name="Sam Lee"),
        mark("leave", t(14, 10), key="student", email="sam@x.edu", user_name="Sam Lee"),
        mark("join", t(13, 30), key="panelist", email="", user_name="sam  lee"),
        mark("leave", t(14, 30), key="panelist", email="", user_name="sam  lee"),
        mark("join", t(13, 30), key="other", email="sam.lee@gmail.com", user_name="Sam Lee"),
        mark("leave", t(14, 30), key="other", email="sam.lee@gmail.com", user_name="Sam Lee"),
    ]
    students = {"sam@x.edu": 1}
    table = presence_from_marks(
        marks, course=course, now=local(2021, 12, 31), match=lambda who: students.get(who.email.lower())
    )
    assert table.minutes == {(1, 1, "webinar"): 40.0}
    assert table.unmatched == []


def test_webhook_staff_are_not_listed_unmatched(live: Live, invoke) -> None:  # type: ignore[no-untyped-def]
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Bob Builder", "bob@example.edu")
    people = [
        ("1", "Dr.  Ada Example", ""),  # the speaker, by display name
        ("2", "Moderator", "MOD@example.edu"),  # a panelist, by email
        ("3", "Bob Builder", "bob@example.edu"),
        ("4", "Mystery Guest", ""),
    ]
    for user_id, name, email in people:
        for action, at in (
            ("participant_joined", local(2021, 9, 23, 13, 30)),
            ("participant_left", local(2021, 9, 23, 14, 0)),
        ):
            body = visit("webinar", action, WEBINAR_ID, "W1", at, user_id=user_id, name=name, email=email)
            assert post(live.http, body).status_code == 200
    data = report(invoke)
    assert [u["name"] for u in data["unmatched"]] == ["Mystery Guest"]  # type: ignore[attr-defined]
    assert [s["weeks"][0]["webinar_minutes"] for s in data["students"]] == [30]  # type: ignore[attr-defined]


def test_backfill_staff_are_not_listed_unmatched(runtime: Runtime, fake_zoom: FakeZoom, invoke) -> None:  # type: ignore[no-untyped-def]
    serve_week1(fake_zoom)
    fake_zoom.set_report(
        WEBINAR_PATH,
        "participants",
        [
            participant("DR. ADA EXAMPLE", "", (13, 25), (14, 31)),
            participant("Guest", "g@x.com", (13, 40), (13, 50)),
        ],
    )
    fake_zoom.set_report(
        MEETING_PATH, "participants", [participant("Host", "host@example.edu", (14, 30), (15, 0))]
    )
    result = invoke("zoom", "backfill", "--week", "1")
    assert result.exit_code == 0, result.output
    assert report(invoke)["unmatched"] == [
        {"week": 1, "part": "webinar", "name": "Guest", "email": "g@x.com", "minutes": 10}
    ]


def test_csv_staff_are_not_listed_unmatched(runtime: Runtime, invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.csv"
    path.write_text(redate(WEEK1), encoding="utf-8")  # its host is host@example.edu
    result = invoke("zoom", "import-csv", str(path), "--week", "1", "--part", "webinar")
    assert result.exit_code == 0, result.output
    names = [u["name"] for u in report(invoke)["unmatched"]]  # type: ignore[attr-defined]
    assert "Host Person" not in names and "Quiet Guest" in names
