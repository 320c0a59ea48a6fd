"""The TA Home tab end to end: the dashboard, its modals and buttons, signed as Slack signs them."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import session_scope
from storage.models import Excuse, IdentityLink, Question, TaAction
from tests.conftest import TRANSPORTS, Live
from tests.factories import add_student, local
from tests.fakes.slack_api import valid_view
from tests.send import action, submit_view
from tests.test_seminar import add_class, audit, seminar, zoom_week1
from tests.test_slack_standing import home_opened

AFTER_WEEK_1 = local(2021, 9, 23, 15, 5)  # week 1's discussion has ended, week 2 has not begun
STUDENT, WEEK, REASON = "student", "week", "reason"


def excuse_values(user: object = "U0BOB", week: object = "1", reason: object = "flu") -> dict[str, Any]:
    """The state of a submitted Excuse modal, as Slack sends it."""
    return {
        STUDENT: {"user": {"type": "users_select", "selected_user": user}},
        WEEK: {"week": {"type": "static_select", "selected_option": {"text": {}, "value": week}}},
        REASON: {"reason": {"type": "plain_text_input", "value": reason}},
    }


def excuses(live: Live) -> list[tuple[int, int, str]]:
    with session_scope(live.runtime.engine) as session:
        return [(e.student_id, e.week, e.reason) for e in session.exec(select(Excuse)).all()]


def published(live: Live, count: int = 1) -> dict[str, Any]:
    """The `count`-th Home view published."""
    return live.slack.wait_for("views.publish", count)[count - 1].body["view"]  # type: ignore[no-any-return]


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


@pytest.fixture
def week1(live: Live) -> Live:
    """Ada present with two questions; Bob only as an unmatched "Bobby's iPad"; week 1 has ended."""
    ada, _ = add_class(live)
    with session_scope(live.runtime.engine) as session:
        for i in range(2):
            session.add(Question(student_id=ada, week=1, text="q", dedup_key=f"a{i}"))
    zoom_week1(live)
    live.clock.set(AFTER_WEEK_1)
    return live


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_ta_home_is_a_dashboard(week1: Live) -> None:
    live = week1
    assert home_opened(live, "U0TA1").status_code == 200
    view = published(live)
    text = text_of(view)
    assert "TA dashboard" in text and "2 students: 1 on track, 1 at risk, 0 without credit" in text
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("ta_excuse_open", "excuse"), ("ta_export", "report"), ("ta_export", "grades"),
        ("ta_refresh", "refresh"),
    ]  # fmt: skip
    assert "   1        1/2       1        0          2        0" in text  # week 1: Ada present, Bob absent
    assert "Trend, week 1: present `▅`" in text
    assert "*Bob Babbage* (bob@example.edu) — At risk ⚠️: Week 1: missed" in text
    assert "*Ada Lovelace* (ada@example.edu) — At risk ⚠️: Week 1: reflection missing" not in text  # not due
    accessories = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    matches = [a for a in accessories if a["action_id"] == "ta_match_open"]
    assert [m["value"] for m in matches] == ["Bobby's  iPad", "Bobby's  iPad"]  # webinar and discussion
    assert "<!date^" in text  # "as of" in the reader's own time zone


def test_a_student_still_sees_only_their_own_record(week1: Live) -> None:
    live = week1
    home_opened(live, "U0ADA")
    text = text_of(published(live))
    assert "Your standing" in text and "Ada Lovelace" in text
    assert "Bob" not in text and "TA dashboard" not in text and "ta_excuse_open" not in text


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_excuse_from_home_goes_through_the_modal(week1: Live) -> None:
    live = week1
    assert action(live, "U0TA1", "ta_excuse_open", "excuse").status_code == 200
    modal = live.slack.wait_for("views.open")[0].body["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    elements = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert elements["student"]["type"] == "users_select"
    assert [o["value"] for o in elements["week"]["options"]] == ["1"]  # only ended weeks
    assert elements["reason"]["max_length"] == 1000

    answer = submit_view(live, "U0TA1", modal["callback_id"], "", excuse_values(reason="flu & fever"))
    assert answer.status_code == 200
    ack = answer.json()
    assert ack["response_action"] == "update" and "Excused *Bob Babbage* for week 1" in text_of(ack["view"])
    assert excuses(live) == [(2, 1, "flu & fever")]  # Bob
    [row] = [a for a in audit(live) if a.action == "excuse"]
    assert row.ta_user_id == "U0TA1" and json.loads(row.detail)["reason"] == "flu & fever"
    refreshed = text_of(published(live))  # the Home tab shows the change
    assert "TA dashboard" in refreshed and "   1        1/2       0        1" in refreshed


def test_match_from_home_goes_through_the_modal(week1: Live) -> None:
    live = week1
    action(live, "U0TA1", "ta_match_open", "Bobby's  iPad")
    modal = live.slack.wait_for("views.open")[0].body["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert "Bobby" in text_of(modal)
    values = {STUDENT: {"user": {"type": "users_select", "selected_user": "U0BOB"}}}
    ack = submit_view(live, "U0TA1", modal["callback_id"], modal["private_metadata"], values).json()
    assert ack["response_action"] == "update"
    assert "week 1 webinar 60 min, week 1 discussion 30 min" in text_of(ack["view"])
    with session_scope(live.runtime.engine) as session:
        assert session.exec(select(IdentityLink)).all()
    [row] = [a for a in audit(live) if a.action == "match"]
    assert row.ta_user_id == "U0TA1"
    assert "Everyone in Zoom is matched" in text_of(published(live))


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_a_student_forging_ta_requests_changes_nothing(week1: Live) -> None:
    live = week1
    before = len(audit(live))
    action(live, "U0ADA", "ta_excuse_open", "excuse")
    refusal = live.slack.wait_for("views.open")[0].body["view"]
    assert "Only the course's TAs" in text_of(refusal) and "users_select" not in text_of(refusal)
    for callback, metadata, values in (
        ("ta_excuse_submit", "", excuse_values()),
        ("ta_match_submit", json.dumps({"identity": "Bobby's  iPad"}), excuse_values()),
    ):
        ack = submit_view(live, "U0ADA", callback, metadata, values).json()
        assert ack == {"response_action": "errors", "errors": {STUDENT: "Only the course's TAs can do this. "
                                                                        "Nothing was changed."}}  # fmt: skip
    action(live, "U0ADA", "ta_match_open", "Bobby's  iPad")
    action(live, "U0ADA", "ta_export", "grades")
    refusals = [c.body["view"] for c in live.slack.wait_for("views.open", 3)]
    assert all("Only the course's TAs" in text_of(v) and "users_select" not in text_of(v) for v in refusals)
    assert excuses(live) == [] and len(audit(live)) == before and not live.slack.calls_to("upload")
    with session_scope(live.runtime.engine) as session:
        assert not session.exec(select(IdentityLink)).all()


@pytest.mark.parametrize(
    ("values", "block", "says"),
    [
        (excuse_values(user="U0NOBODY"), STUDENT, "isn't on the roster"),
        (excuse_values(user=None), STUDENT, "Pick the student"),
        (excuse_values(user="<@U0BOB>"), STUDENT, "Pick the student"),
        (excuse_values(week="2"), WEEK, "Pick a week that has ended"),
        (excuse_values(week="11"), WEEK, "Pick a week that has ended"),
        (excuse_values(week="٣"), WEEK, "Pick a week that has ended"),
        (excuse_values(reason="x" * 1001), REASON, "1,001 characters; the limit is 1,000"),
        (excuse_values(reason="a\x00b"), REASON, "NUL"),
        ({}, STUDENT, "Pick the student"),
    ],
)
def test_bad_modal_values_are_errors_on_their_block(week1: Live, values: Any, block: str, says: str) -> None:
    live = week1
    live.slack.add_user("U0NOBODY", "nobody@example.com")
    ack = submit_view(live, "U0TA1", "ta_excuse_submit", "", values).json()
    assert ack["response_action"] == "errors" and says in ack["errors"][block]
    assert excuses(live) == [] and not [a for a in audit(live) if a.action == "excuse"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    user=st.none() | st.integers() | st.text(max_size=12) | st.sampled_from(["U0BOB", "U0ADA", "U0TA2"]),
    week=st.none() | st.integers() | st.text(max_size=5) | st.sampled_from(["1", "01", "2", "0", "-1"]),
    reason=st.one_of(st.none(), st.text(max_size=20), st.text(min_size=1001, max_size=1100)),
)
def test_any_modal_values_store_only_what_is_valid(week1: Live, user: Any, week: Any, reason: Any) -> None:
    live = week1
    before = excuses(live)
    ack = submit_view(live, "U0TA1", "ta_excuse_submit", "", excuse_values(user, week, reason)).json()
    valid_user = user in ("U0BOB", "U0ADA")
    valid_week = week in ("1", "01")
    text = reason.strip() if isinstance(reason, str) else ""
    valid_reason = len(text) <= 1000 and "\x00" not in text
    if valid_user and valid_week and valid_reason:
        assert ack["response_action"] == "update"
        assert (1 if user == "U0ADA" else 2, 1, text) in excuses(live)
    else:
        assert ack["response_action"] == "errors" and excuses(live) == before
        assert (STUDENT in ack["errors"]) != valid_user and (WEEK in ack["errors"]) != valid_week
        assert (REASON in ack["errors"]) != valid_reason


def test_a_stale_trigger_opens_nothing_and_breaks_nothing(week1: Live) -> None:
    live = week1
    stale = f"{time.time_ns() - 4_000_000_000}.1.act"
    assert action(live, "U0TA1", "ta_excuse_open", "excuse", trigger_id=stale).status_code == 200
    [call] = live.slack.wait_for("views.open")
    assert call.body["trigger_id"] == stale  # Slack answered expired_trigger_id; nothing else happened
    assert action(live, "U0TA1", "ta_excuse_open", "excuse").status_code == 200
    live.slack.wait_for("views.open", 2)
    assert not live.slack.calls_to("response_url") and excuses(live) == []


def test_export_buttons_upload_the_csv(week1: Live) -> None:
    live = week1
    action(live, "U0TA1", "ta_export", "grades")
    [upload] = live.slack.wait_for("upload")
    assert upload.raw.decode().startswith("name,email,absences,questions,reflections,standing,credit\r\n")
    update = live.slack.wait_for("views.update")[0].body["view"]
    assert "Uploaded `seminar-grades-" in text_of(update if isinstance(update, dict) else json.loads(update))


def test_refresh_publishes_again(week1: Live) -> None:
    live = week1
    action(live, "U0TA1", "ta_refresh", "refresh")
    assert "TA dashboard" in text_of(published(live))
    action(live, "U0ADA", "ta_refresh", "refresh")  # a student gets their own Home, nothing more
    assert "TA dashboard" not in text_of(published(live, 2))


def test_the_modal_writes_the_audit_row_seminar_excuse_writes(week1: Live) -> None:
    """The modal's change writes the audit row `/seminar excuse` writes (handlers/slack/ta/changes.py)."""
    live = week1
    submit_view(live, "U0TA1", "ta_excuse_submit", "", excuse_values(reason="r"))
    with session_scope(live.runtime.engine) as session:
        rows = session.exec(select(TaAction).where(TaAction.action == "excuse")).all()
    assert [json.loads(r.detail) for r in rows] == [{"student_id": 2, "week": 1, "reason": "r"}]


def test_seminar_export_grades_uploads_the_gradebook(week1: Live) -> None:
    live = week1
    assert seminar(live, "export grades").status_code == 200
    [upload] = live.slack.wait_for("upload")
    rows = list(csv.DictReader(io.StringIO(upload.raw.decode())))
    assert [(r["name"], r["absences"], r["questions"], r["standing"], r["credit"]) for r in rows] == [
        ("Ada Lovelace", "0", "2", "on_track", "pending"),
        ("Bob Babbage", "1", "0", "at_risk", "pending"),
    ]
    reply = live.slack.wait_for("response_url")[0].body["text"]
    assert "Uploaded `seminar-grades-20210923-1505.csv`" in reply and "2 students, 2 rows" in reply


def test_cli_report_format_grades(week1: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = week1.runtime.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("COURSE_FILE", str(settings.course_file))
    out = CliRunner().invoke(app, ["report", "--format", "grades"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0] == "name,email,absences,questions,reflections,standing,credit"
    assert [line.rsplit(",", 2)[1:] for line in lines[1:]] == [["no_credit", "NC"]] * 2  # 2021 is over
    refused = CliRunner().invoke(app, ["report", "--format", "grades", "--week", "1"])
    assert refused.exit_code == 1 and "leave out --week" in refused.output


def test_a_500_student_home_is_accepted_by_slack(live: Live) -> None:
    """Published through the fake, which refuses what Block Kit refuses (tests/fakes/slack_api.py)."""
    with session_scope(live.runtime.engine) as session:
        for i in range(500):
            name, email = f"Student {i:03} " + "z" * 40, f"s{i:03}@example.edu"
            add_student(session, name, email, slack_user_id=f"U0S{i:04}")
    live.clock.set(local(2021, 10, 15))  # weeks 1-3 ended, nobody came
    home_opened(live, "U0TA1")
    view = published(live)
    assert valid_view(view) and len(view["blocks"]) <= 100
    assert "500 students: 0 on track, 0 at risk, 500 without credit" in text_of(view)
    assert "…and 460 more" in text_of(view)
