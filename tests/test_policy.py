"""`[policy]` other than the defaults, end to end: each value in course.toml changes what users see.

Every test here fails on a build that hard-codes the default (0.5, 2, 2, [2, 3]) in place of
the course's value.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from storage.db import session_scope
from tests.conftest import Live
from tests.factories import COURSE_TOML, add_student, local, write_course
from tests.send import slash
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, post, visit

POLICY = """[policy]
min_presence = 0.8
min_questions = 3
max_absences = 1
reflection_sentences = [3, 4]
"""


@pytest.fixture
def course_file(tmp_path: Path) -> Path:
    """The spec's course with a stricter policy than the defaults."""
    default = COURSE_TOML[COURSE_TOML.index("[policy]") : COURSE_TOML.index("[[sessions]]")]
    return write_course(tmp_path, COURSE_TOML.replace(default, POLICY + "\n"))


@pytest.fixture
def ada(live: Live) -> Live:
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Bob Builder", "bob@example.edu", slack_user_id="U0BOB")
    return live


def reply(live: Live, count: int = 1) -> str:
    return str(live.slack.wait_for("response_url", count)[count - 1].body["text"])


def week_report(live: Live, monkeypatch: pytest.MonkeyPatch, week: int = 1) -> dict[str, Any]:
    monkeypatch.setenv("DATABASE_URL", live.runtime.settings.database_url)
    monkeypatch.setenv("COURSE_FILE", str(live.runtime.settings.course_file))
    out = CliRunner().invoke(cli, ["report", "--week", str(week), "--format", "json"])
    assert out.exit_code == 0, out.output
    return {s["email"]: s for s in json.loads(out.stdout)["students"]}


def attend(live: Live, user_id: str, email: str, part: str, start: datetime, end: datetime) -> None:
    family, zoom_id = ("webinar", WEBINAR_ID) if part == "webinar" else ("meeting", DISCUSSION_ID)
    for action, at in (("participant_joined", start), ("participant_left", end)):
        body = visit(family, action, zoom_id, f"{part}-1", at, user_id=user_id, name=email, email=email)
        assert post(live.http, body).status_code == 200


def test_min_presence_from_the_course_decides_who_was_present(
    ada: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """45 of 60 minutes is present at 0.5 but not at the course's 0.8; 50 of 60 is."""
    live = ada
    for user_id, email, minutes in (("1", "ada@example.edu", 45), ("2", "bob@example.edu", 50)):
        attend(
            live, user_id, email, "webinar", local(2021, 9, 23, 13, 30), local(2021, 9, 23, 14, minutes - 30)
        )
        attend(live, user_id, email, "discussion", local(2021, 9, 23, 14, 30), local(2021, 9, 23, 15, 0))
    live.clock.set(local(2021, 9, 24, 9, 0))
    report = week_report(live, monkeypatch)
    ada_week, bob_week = report["ada@example.edu"]["weeks"][0], report["bob@example.edu"]["weeks"][0]
    assert ada_week["webinar_minutes"] == 45 and not ada_week["webinar_present"] and ada_week["absent"]
    assert bob_week["webinar_minutes"] == 50 and bob_week["webinar_present"] and not bob_week["absent"]


def test_min_questions_in_the_ask_reply_and_the_standing(ada: Live) -> None:
    """Two questions from a student who was there meet the default minimum, not the course's 3."""
    live = ada
    expected = ("2 more to reach this week's minimum of 3", "1 more to reach", "met this week's minimum of 3")
    for n, text in enumerate(expected, start=1):
        slash(live, "/ask", f"Question {n}?", "U0ADA", trigger_id=f"t{n}")
        assert text in reply(live, n)
    for n in (1, 2):
        slash(live, "/ask", f"Bob's {n}?", "U0BOB", trigger_id=f"b{n}")
        reply(live, 3 + n)
    attend(live, "2", "bob@example.edu", "webinar", local(2021, 9, 23, 13, 30), local(2021, 9, 23, 14, 30))
    attend(live, "2", "bob@example.edu", "discussion", local(2021, 9, 23, 14, 30), local(2021, 9, 23, 15, 0))
    live.clock.set(local(2021, 9, 24, 9, 0))
    slash(live, "/standing", "", "U0BOB")
    standing = json.dumps(live.slack.wait_for("response_url", 6)[5].body["blocks"], ensure_ascii=False)
    assert "Questions 2/3 ✖️" in standing and "Week 1: 2 of 3 questions asked." in standing


def test_max_absences_from_the_course_decides_no_credit(ada: Live) -> None:
    """Two unexcused absences are at risk with the default of 2, no credit with the course's 1."""
    live = ada
    live.clock.set(local(2021, 10, 1, 9, 0))  # weeks 1 and 2 ended; nobody attended
    slash(live, "/standing", "", "U0ADA")
    body = live.slack.wait_for("response_url")[0].body
    assert body["text"].startswith("Your standing: No credit")
    blocks = json.dumps(body["blocks"], ensure_ascii=False)
    assert "2 unexcused absences, more than the 1 allowed" in blocks and "Absences: *2 of 1*" in blocks


def test_reflection_sentence_bounds_from_the_course(ada: Live) -> None:
    live = ada
    refused = slash(live, "/reflect", "One idea. Another idea.", "U0ADA")
    assert "I found 2 sentences; a reflection needs at least 3" in refused.text
    slash(live, "/reflect", "One idea. Another idea. A third idea. A fourth idea.", "U0ADA")
    assert "(4 sentences)" in reply(live) and "gentle note" not in reply(live)
    slash(live, "/reflect", "One. Two. Three. Four. Five.", "U0ADA")
    assert "gentle note: 3–4 sentences is plenty; yours has 5" in reply(live, 2)
