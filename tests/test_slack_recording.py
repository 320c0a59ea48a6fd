"""The "I watched the recording" button end to end: from a DM, /standing and the Home tab."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from storage.db import session_scope
from storage.models import RecordingWatched
from tests.factories import add_student, local
from tests.send import action, slash
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, post, visit

DM_BLOCKS = [
    {"type": "section", "block_id": "notice", "text": {"type": "mrkdwn", "text": "You missed week 1."}},
    {
        "type": "actions",
        "block_id": "b1",
        "elements": [{"type": "button", "action_id": "recording_watched", "value": "1"}],
    },
]


@pytest.fixture
def students(live: Any) -> Any:
    """Weeks 1 and 2 have ended; with no Zoom presence, Ada missed both."""
    live.clock.set(local(2021, 10, 1, 9, 0))
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Dee Dropped", "dee@example.edu", slack_user_id="U0DEE", status="dropped")
    return live


def watched(live: Any) -> list[tuple[int, int]]:
    with session_scope(live.runtime.engine) as session:
        return [(r.student_id, r.week) for r in session.exec(select(RecordingWatched)).all()]


def click_in_dm(live: Any, user: str, value: str) -> Any:
    message = {"ts": "1.2", "text": "You missed week 1.", "blocks": DM_BLOCKS}
    return action(live, user, "recording_watched", value, message=message)


def test_dm_button_records_once_and_updates_the_message(students: Any) -> None:
    live = students
    assert click_in_dm(live, "U0ADA", "1").status_code == 200
    update = live.slack.wait_for("response_url")[0].body
    assert update["replace_original"] is True and update["text"] == "You missed week 1."
    assert update["blocks"][0] == DM_BLOCKS[0]
    assert "Recorded: you watched the week 1 recording" in update["blocks"][1]["elements"][0]["text"]
    click_in_dm(live, "U0ADA", "1")
    again = live.slack.wait_for("response_url", 2)[1].body
    assert "Already recorded" in json.dumps(again, ensure_ascii=False)
    assert len(watched(live)) == 1 and watched(live)[0][1] == 1


REFUSALS = [
    ("U0ADA", "3", "Week 3 hasn't ended yet"),
    ("U0ADA", "42", "There is no week 42"),
    ("U0ADA", "<!channel>", "There is no week &lt;!channel&gt;"),
    ("U0NOBODY", "1", "couldn't find you"),
    ("U0DEE", "1", "dropped"),
]


def test_refusals_change_nothing(students: Any) -> None:
    live = students
    for n, (user, value, expected) in enumerate(REFUSALS, start=1):
        click_in_dm(live, user, value)
        body = live.slack.wait_for("response_url", n)[n - 1].body
        assert expected in body["text"] and body["replace_original"] is False
    assert watched(live) == []


def test_from_standing_the_record_is_redrawn(students: Any) -> None:
    live = students
    container = {"type": "message", "message_ts": "1.2", "channel_id": "C0CLASS", "is_ephemeral": True}
    action(live, "U0ADA", "recording_watched", "2", container=container, block_id="standing_week_2")
    update = live.slack.wait_for("response_url")[0].body
    text = json.dumps(update["blocks"], ensure_ascii=False)
    assert update["replace_original"] is True and "Recorded: you watched the week 2 recording" in text
    week2 = next(b for b in update["blocks"] if b.get("block_id") == "standing_week_2")
    assert "you watched the recording ✅" in week2["text"]["text"] and "accessory" not in week2


def test_from_the_home_tab_the_tab_is_republished(students: Any) -> None:
    live = students
    container = {"type": "view", "view_id": "V0HOME"}
    action(live, "U0ADA", "recording_watched", "1", container=container, response_url=None)
    view = live.slack.wait_for("views.publish")[0].body["view"]
    week1 = next(b for b in view["blocks"] if b.get("block_id") == "standing_week_1")
    assert "you watched the recording ✅" in week1["text"]["text"]
    assert live.slack.calls_to("response_url") == []


def _attend_week1(live: Any) -> None:
    """Ada's whole webinar and discussion of week 1, as signed Zoom webhooks."""
    parts = (("webinar", WEBINAR_ID, (13, 30), (14, 30)), ("meeting", DISCUSSION_ID, (14, 30), (15, 0)))
    for family, zoom_id, start, end in parts:
        for action_name, (hour, minute) in (("participant_joined", start), ("participant_left", end)):
            at = local(2021, 9, 23, hour, minute)
            body = visit(
                family,
                action_name,
                zoom_id,
                f"{family}-w1==",
                at,
                user_id="z1",
                name="Ada",
                email="ada@example.edu",
            )
            assert post(live.http, body).status_code == 200


def test_a_week_attended_needs_no_recording(students: Any) -> None:
    live = students
    _attend_week1(live)
    click_in_dm(live, "U0ADA", "1")
    assert "You were counted present in week 1" in live.slack.wait_for("response_url")[0].body["text"]
    assert watched(live) == []
    slash(live, "/standing", "", "U0ADA")
    blocks = live.slack.wait_for("response_url", 2)[1].body["blocks"]
    week1 = next(b for b in blocks if b.get("block_id") == "standing_week_1")
    assert "Webinar 60 min ✅ · Discussion 30 min ✅" in week1["text"]["text"] and "accessory" not in week1


def test_a_refusal_from_the_home_tab_comes_by_dm(students: Any) -> None:
    live = students
    container = {"type": "view", "view_id": "V0HOME"}
    action(live, "U0ADA", "recording_watched", "3", container=container, response_url=None)
    dm = live.slack.wait_for("chat.postMessage")[0].body
    assert dm["channel"] == "U0ADA" and "Week 3 hasn't ended yet" in dm["text"]
    assert watched(live) == []
