"""The report: every student and every week, in the JSON shape of `report --format json`, before any data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.runtime import Runtime
from handlers.records import class_record
from rules.export import to_csv, to_table
from storage.db import session_scope
from storage.models import Excuse, Question, Reflection
from tests.factories import add_student, local

WEEK_KEYS = {
    "week",
    "webinar_minutes",
    "webinar_present",
    "discussion_minutes",
    "discussion_present",
    "questions",
    "reflection",
    "absent",
    "excused",
    "recording_watched",
}


def test_json_shape_before_any_data(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        add_student(session, "Ada", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Bob", "bob@example.edu")
        record = class_record(session=session, course=runtime.course, now=local(2021, 9, 1))
    data = record.as_json()
    assert data["course"] == "CS 528: Machine Learning Systems Seminar"
    assert [w["week"] for w in data["weeks"]] == list(range(1, 11))
    assert data["weeks"][0] == {
        "week": 1,
        "date": "2021-09-23",
        "speaker": "Dr. Ada Example",
        "title": "Serving at scale",
        "ended": False,
    }
    assert len(data["students"]) == 2
    ada = data["students"][0]
    assert set(ada) == {
        "email",
        "name",
        "slack_user_id",
        "status",
        "weeks",
        "absences",
        "questions",
        "reflections",
        "standing",
    }
    assert len(ada["weeks"]) == 10 and set(ada["weeks"][0]) == WEEK_KEYS
    assert ada["weeks"][0]["reflection"] == "not_due"
    assert ada["standing"] == "on_track" and data["unmatched"] == []


def test_standing_rules(runtime: Runtime) -> None:
    """Week 1 ended with no Zoom data: absent; excused → not counted; no reflection → missing."""
    now = local(2021, 10, 7, 14, 0)  # after week 2's due time, during week 3
    with session_scope(runtime.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu")
        bob = add_student(session, "Bob", "bob@example.edu")
        assert ada.id and bob.id
        session.add(Excuse(student_id=ada.id, week=1, reason="sick", created_by="U0TA1"))
        session.add(Excuse(student_id=ada.id, week=2, reason="conference", created_by="U0TA1"))
        for week in (1, 2):
            session.add(Reflection(student_id=ada.id, week=week, text="a. b.", sentences=2))
        session.add(Question(student_id=bob.id, week=1, text="q", dedup_key="k1"))
    with session_scope(runtime.engine) as session:
        record = class_record(session=session, course=runtime.course, now=now)
    by = {r.student.email: r for r in record.students}
    assert by["ada@example.edu"].absences == 0
    assert by["ada@example.edu"].standing == "on_track"
    assert by["ada@example.edu"].weeks[0].excused
    assert by["bob@example.edu"].absences == 2
    assert by["bob@example.edu"].standing == "at_risk"
    assert by["bob@example.edu"].weeks[0].reflection == "missing"
    assert by["bob@example.edu"].weeks[2].reflection == "not_due"
    assert by["bob@example.edu"].questions == 1
    later = local(2021, 10, 15)
    with session_scope(runtime.engine) as session:
        record = class_record(session=session, course=runtime.course, now=later)
    assert {r.student.email: r.standing for r in record.students}["bob@example.edu"] == "no_credit"
    table = to_table(record, None)
    assert "no_credit" in table and "Ada" in table
    assert "yes (sick)" in to_table(record, 1)
    rows = list(csv.DictReader(io.StringIO(to_csv(record))))
    assert len(rows) == 20 and rows[0]["excuse_reason"] == "sick"


def test_cli_report_formats(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = runtime.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("COURSE_FILE", str(settings.course_file))
    with session_scope(runtime.engine) as session:
        add_student(session, "Zoë Ångström", "zoe@example.edu")
    runner = CliRunner()
    out = runner.invoke(app, ["report", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["students"][0]["name"] == "Zoë Ångström"
    weekly = json.loads(runner.invoke(app, ["report", "--week", "3", "--format", "json"]).stdout)
    assert [w["week"] for w in weekly["students"][0]["weeks"]] == [3]
    table = runner.invoke(app, ["report"]).stdout
    header, rule = table.splitlines()[:2]
    assert header.startswith("name") and set(rule) <= {"-", " "}
    assert runner.invoke(app, ["report", "--format", "csv"]).stdout.startswith("email,name")
    bad = runner.invoke(app, ["report", "--week", "99"])
    assert bad.exit_code == 1 and "week 99" in bad.output


def test_cli_bad_course_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "course.toml").write_text('[course]\nname = "x"\n', encoding="utf-8")
    out = CliRunner().invoke(app, ["report"])
    assert out.exit_code == 1
    assert "course.timezone: missing" in out.output
