"""/reflect end to end: inline text, the modal, the prompt's button, late and on-time rules."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlmodel import select

from storage.db import session_scope
from storage.models import Reflection
from tests.conftest import TRANSPORTS
from tests.factories import add_student, local
from tests.send import action, slash, submit_view

TWO = "The talk was about serving models at scale. I learned that e.g. batching matters a lot."
FOUR = "One idea. Another idea. A third idea. And Dr. Example's 3.5x speed-up."


@pytest.fixture
def students(live: Any) -> Any:
    """Ada is linked to Slack; Dee was dropped."""
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Dee Dropped", "dee@example.edu", slack_user_id="U0DEE", status="dropped")
    return live


def reflections(live: Any) -> dict[int, Reflection]:
    with session_scope(live.runtime.engine) as session:
        return {r.week: r for r in session.exec(select(Reflection)).all()}


def reply(live: Any, count: int = 1) -> str:
    return str(live.slack.wait_for("response_url", count)[count - 1].body["text"])


def form(text: str) -> dict[str, Any]:
    return {"reflection": {"text": {"type": "plain_text_input", "value": text}}}


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_inline_reflection_is_stored_then_replaced_before_due(students: Any) -> None:
    live = students
    assert slash(live, "/reflect", TWO, "U0ADA").text == ""
    assert "is received (2 sentences)" in reply(live) and "Dr. Ada Example — Serving at scale" in reply(live)
    assert "until <!date^1633033800^{date_short_pretty} {time}|Thu Sep 30, 1:30 PM PDT>" in reply(live)
    live.clock.set(local(2021, 9, 30, 13, 29))
    slash(live, "/reflect", FOUR, "U0ADA")
    assert "is updated (4 sentences)" in reply(live, 2) and "gentle note" in reply(live, 2)
    row = reflections(live)[1]
    assert row.text == FOUR and row.sentences == 4 and not row.late


def test_inline_refusals_are_immediate_and_store_nothing(students: Any) -> None:
    live = students
    for text, expected in {
        "Just one sentence here.": "I found 1 sentence; a reflection needs at least 2",
        "Ab. " * 501: "2,004",
    }.items():
        response = slash(live, "/reflect", text, "U0ADA")
        assert (
            expected in response.text and "Nothing was saved" in response.text and "/reflect" in response.text
        )
    assert reflections(live) == {} and {c.method for c in live.slack.calls} <= {"auth.test"}


def test_before_the_first_session(students: Any) -> None:
    live = students
    live.clock.set(local(2021, 9, 20, 9, 0))
    assert (
        "Reflections open when the first session's webinar starts"
        in slash(live, "/reflect", TWO, "U0ADA").text
    )
    assert reflections(live) == {}


def test_inline_off_roster(students: Any) -> None:
    live = students
    for n, (user, expected) in enumerate({"U0NOBODY": "couldn't find you", "U0DEE": "dropped"}.items(), 1):
        slash(live, "/reflect", TWO, user)
        assert expected in reply(live, n)
    assert reflections(live) == {}


def test_reflect_alone_opens_the_modal_and_prefills(students: Any) -> None:
    live = students
    assert slash(live, "/reflect", "", "U0ADA", trigger_id="trig-1").text == ""
    opened = live.slack.wait_for("views.open")[0].body
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert opened["trigger_id"] == "trig-1" and view["callback_id"] == "reflection_submit"
    assert json.loads(view["private_metadata"]) == {"week": 1}
    assert view["blocks"][2]["element"]["multiline"] is True
    slash(live, "/reflect", TWO, "U0ADA")
    reply(live)
    slash(live, "/reflect", "   ", "U0ADA")
    live.slack.wait_for("views.open", 2)
    update = live.slack.wait_for("views.update")[0].body
    assert update["view_id"] == "V0VIEW" and update["view"]["blocks"][2]["element"]["initial_value"] == TWO


def test_modal_for_someone_off_roster_says_so(students: Any) -> None:
    live = students
    slash(live, "/reflect", "", "U0NOBODY")
    update = live.slack.wait_for("views.update")[0].body
    assert "couldn't find you" in json.dumps(update["view"]) and "submit" not in update["view"]


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_modal_submission_validates_in_the_modal_then_confirms_by_dm(students: Any) -> None:
    live = students
    meta = json.dumps({"week": 1})
    bad = submit_view(live, "U0ADA", "reflection_submit", meta, form("Only one."))
    assert bad.json() == {
        "response_action": "errors",
        "errors": {"reflection": "I found 1 sentence; a reflection needs at least 2. Nothing was saved."},
    }
    long = submit_view(live, "U0ADA", "reflection_submit", meta, form("x. " * 700))
    assert "2,100 characters" in long.json()["errors"]["reflection"]
    assert reflections(live) == {}
    good = submit_view(live, "U0ADA", "reflection_submit", meta, form(TWO))
    assert good.status_code == 200 and good.text == ""
    dm = live.slack.wait_for("chat.postMessage")[0].body
    assert dm["channel"] == "U0ADA" and "is received (2 sentences)" in dm["text"]
    assert reflections(live)[1].text == TWO


def test_modal_submission_refusals(students: Any) -> None:
    live = students
    for meta, user in (('{"week": 5}', "U0ADA"), ("junk", "U0ADA"), ('{"week": 1}', "U0DEE")):
        response = submit_view(live, user, "reflection_submit", meta, form(TWO))
        assert response.json()["response_action"] == "errors"
    assert reflections(live) == {}


def test_late_submission_is_marked_late_but_on_time_text_is_kept(students: Any) -> None:
    live = students
    meta = json.dumps({"week": 1})
    live.clock.set(local(2021, 10, 1, 9, 0))  # week 1 was due Thu Sep 30, 1:30 PM
    submit_view(live, "U0ADA", "reflection_submit", meta, form(TWO))
    assert "marked late" in live.slack.wait_for("chat.postMessage")[0].body["text"]
    assert reflections(live)[1].late
    week2 = json.dumps({"week": 2})
    live.clock.set(local(2021, 10, 7, 13, 0))
    submit_view(live, "U0ADA", "reflection_submit", week2, form(TWO))
    live.clock.set(local(2021, 10, 7, 14, 0))
    kept = submit_view(live, "U0ADA", "reflection_submit", week2, form(FOUR))
    assert "stays as it is" in kept.json()["errors"]["reflection"]
    assert reflections(live)[2].text == TWO and not reflections(live)[2].late


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_prompt_button_opens_the_form_for_its_week(students: Any) -> None:
    live = students
    live.clock.set(local(2021, 10, 1, 9, 0))
    action(live, "U0ADA", "reflect_open", "1")
    view = live.slack.wait_for("views.open")[0].body["view"]
    assert json.loads(view["private_metadata"]) == {"week": 1} and "marked late" in json.dumps(view)


def test_prompt_button_for_a_week_not_open(students: Any) -> None:
    live = students
    for n, value in enumerate(("3", "99", "abc"), start=1):
        action(live, "U0ADA", "reflect_open", value)
        assert "isn't open" in reply(live, n)
    assert live.slack.calls_to("views.open") == []


def test_a_failing_slack_call_is_logged_and_the_student_told(
    students: Any, caplog: pytest.LogCaptureFixture
) -> None:
    live = students
    live.slack.fail("views.open", error="expired_trigger_id")
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        slash(live, "/reflect", "", "U0ADA")
        assert "something went wrong on our side" in reply(live)
    failure = next(r for r in caplog.records if r.name == "bot.app")
    assert failure.exc_info is not None and "xoxb-test-token" not in caplog.text
    assert reflections(live) == {}


def test_typed_text_is_stored_as_typed_inline_and_in_the_form(students: Any) -> None:
    """Slack sends `/reflect` text with entities; a form's plain_text_input value comes as typed."""
    live = students
    typed = "A < B & C > D, so &amp; stays literal. " + "x<y. " * 390  # 1,995 typed; ~4,700 as sent
    assert slash(live, "/reflect", typed, "U0ADA").text == ""
    assert "is received" in reply(live)
    assert reflections(live)[1].text == typed
    in_form = "I typed &lt; and <@U0TA1> here. Both stay as typed."
    assert submit_view(live, "U0ADA", "reflection_submit", json.dumps({"week": 1}), form(in_form)).text == ""
    live.slack.wait_for("chat.postMessage")
    assert reflections(live)[1].text == in_form
