"""/standing and App Home end to end, and the one view builder within Block Kit limits."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.slack.views.standing_blocks import HOME_BLOCKS, MESSAGE_BLOCKS, standing_blocks
from rules.course_file import parse_course
from rules.credit import StudentRecord, WeekRecord
from storage.db import session_scope
from storage.models import Excuse, Question, Reflection, Student
from tests.conftest import TRANSPORTS
from tests.factories import COURSE_TOML, add_student, local
from tests.send import event, slash

NOW = local(2021, 10, 1, 9, 0)  # weeks 1 and 2 have ended


@pytest.fixture
def students(live: Any) -> Any:
    """Ada asked 2 questions and reflected in week 1; her week 2 absence is excused."""
    live.clock.set(NOW)
    with session_scope(live.runtime.engine) as session:
        ada = add_student(session, "Ada <Lovelace>", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Dee Dropped", "dee@example.edu", slack_user_id="U0DEE", status="dropped")
        assert ada.id is not None
        for n in (1, 2):
            session.add(Question(student_id=ada.id, week=1, text=f"q{n}", dedup_key=f"k{n}", asked_at=NOW))
        session.add(Reflection(student_id=ada.id, week=1, text="A. B.", sentences=2, submitted_at=NOW))
        session.add(Excuse(student_id=ada.id, week=2, reason="conference", created_by="U0TA1"))
    return live


def valid(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_standing_is_ephemeral_and_shows_each_ended_week(students: Any) -> None:
    live = students
    assert slash(live, "/standing", "", "U0ADA").text == ""
    body = live.slack.wait_for("response_url")[0].body
    assert body["response_type"] == "ephemeral" and body["text"] == "Your standing: At risk ⚠️"
    blocks = body["blocks"]
    valid(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*Ada &lt;Lovelace&gt;*" in text and "Absences: *1 of 2* allowed" in text
    assert "Week 1: missed; watch the recording and tell the bot." in text
    ids = [b.get("block_id") for b in blocks]
    assert "standing_week_1" in ids and "standing_week_2" in ids and "standing_week_3" not in ids
    week1 = blocks[ids.index("standing_week_1")]
    assert "Questions 2/2 ✅" in week1["text"]["text"] and "Reflection on time ✅" in week1["text"]["text"]
    assert week1["accessory"]["action_id"] == "recording_watched" and week1["accessory"]["value"] == "1"
    assert "youtube.com/watch?v=week1|Watch the recording" in week1["text"]["text"]
    week2 = blocks[ids.index("standing_week_2")]
    assert "Absent, excused: conference." in week2["text"]["text"] and "accessory" not in week2
    assert "Next: week 3, <!date^1633638600^{date_short_pretty} {time}|Thu Oct 7, 1:30 PM PDT>." in text


def test_standing_for_someone_without_a_record(students: Any) -> None:
    live = students
    cases = {"U0NOBODY": "couldn't find you", "U0DEE": "dropped", "U0TA1": "/seminar report"}
    for n, (user, expected) in enumerate(cases.items(), start=1):
        slash(live, "/standing", "", user)
        body = live.slack.wait_for("response_url", n)[n - 1].body
        assert expected in body["text"] and "blocks" not in body and "nothing was saved" not in body["text"]


def home_opened(live: Any, user: str, tab: str = "home", **headers: str) -> Any:
    inner = {"type": "app_home_opened", "user": user, "channel": "D0DM", "tab": tab, "event_ts": "1.2"}
    return event(live, inner, **headers)


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_home_tab_shows_the_same_record(students: Any) -> None:
    live = students
    assert home_opened(live, "U0ADA").status_code == 200
    publish = live.slack.wait_for("views.publish")[0].body
    assert publish["user_id"] == "U0ADA"
    view = publish["view"]
    View(**view).validate_json()
    slash(live, "/standing", "", "U0ADA")
    assert live.slack.wait_for("response_url")[0].body["blocks"] == view["blocks"]


def test_home_without_a_record_explains(students: Any) -> None:
    live = students
    cases = {"U0NOBODY": "couldn't find you on the roster", "U0DEE": "dropped"}  # a TA: tests/test_ta_home.py
    for n, (user, expected) in enumerate(cases.items(), start=1):
        home_opened(live, user)
        view = live.slack.wait_for("views.publish", n)[n - 1].body["view"]
        assert expected in json.dumps(view) and "nothing was saved" not in json.dumps(view)


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_messages_tab_and_slack_retries_do_nothing(students: Any) -> None:
    live = students
    assert home_opened(live, "U0ADA", tab="messages").status_code == 200
    retried = home_opened(live, "U0ADA", **{"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    assert retried.status_code == 200
    home_opened(live, "U0DEE")  # a later, normal delivery is handled
    live.slack.wait_for("views.publish")
    assert [c.body["user_id"] for c in live.slack.calls_to("views.publish")] == ["U0DEE"]


def _record(weeks: int) -> tuple[Any, StudentRecord]:
    toml = COURSE_TOML.replace("last_session = 2021-12-02", "last_session = 2023-12-02")
    course = parse_course(tomllib.loads(toml))
    rows = [
        WeekRecord(n, True, 0, False, 0, False, 0, "missing", True, False, "", False)
        for n in range(1, weeks + 1)
    ]
    reasons = [f"Week {n}: reflection missing; send it with /reflect." for n in range(1, weeks + 1)]
    student = Student(id=1, name="Ada", email="a@x.edu")
    return course, StudentRecord(student, rows, weeks, 0, 0, "no_credit", reasons)


@pytest.mark.parametrize("limit", [MESSAGE_BLOCKS, HOME_BLOCKS])
def test_many_weeks_stay_within_block_kit_limits(limit: int) -> None:
    course, record = _record(110)
    blocks = standing_blocks(course, record, local(2023, 12, 30), {}, limit)
    assert len(blocks) <= limit
    valid(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "are left out here for space" in text and "standing_week_110" in text
    assert "…and " in text and "more." in text
