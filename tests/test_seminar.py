"""`/seminar` end to end: signed requests to the real app, replies and uploads on the fake Slack."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlmodel import select

from handlers.records import class_record
from handlers.schedule import paced
from handlers.schedule import tally_worker as tally
from rules.export import to_table
from storage.db import session_scope
from storage.models import Excuse, IdentityLink, Question, RecordingLink, TaAction, TallyMessage
from tests.conftest import Live
from tests.factories import add_student, local
from tests.signing import Pick, slack_headers, slash_body
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, post, visit

ADA, BOB, EVE = Pick("U0ADA", "ada"), Pick("U0BOB", "bob"), Pick("U0EVE", "eve")


def seminar(live: Live, text: str | Sequence[str | Pick], user: str = "U0TA1") -> httpx.Response:
    """Send `/seminar <text>` as Slack would (typed text escaped, picked users as manifest.yml asks)."""
    body = slash_body("/seminar", text, user_id=user, response_url=live.response_url)
    return live.http.post("/slack/events", content=body, headers=slack_headers(body))


def replies(live: Live, count: int = 1) -> list[dict[str, Any]]:
    """The first `count` response_url messages."""
    return [c.body for c in live.slack.wait_for("response_url", count)][:count]


def all_text(message: dict[str, Any]) -> str:
    """A reply's fallback text and every block's text."""
    parts = [str(message.get("text", ""))]
    for b in message.get("blocks") or []:
        parts.append(str((b.get("text") or {}).get("text", "")))
        parts += [str(e.get("text", "")) for e in b.get("elements", [])]
    return "\n".join(parts)


def audit(live: Live) -> list[TaAction]:
    """The audit trail, oldest first."""
    with session_scope(live.runtime.engine) as session:
        return list(session.exec(select(TaAction).order_by(TaAction.id)).all())


def add_class(live: Live) -> tuple[int, int]:
    """Ada and Bob, both linked to Slack."""
    with session_scope(live.runtime.engine) as session:
        ada = add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        bob = add_student(session, "Bob Babbage", "bob@example.edu", slack_user_id="U0BOB")
        assert ada.id and bob.id
        return ada.id, bob.id


def test_non_ta_is_refused_and_nothing_changes(live: Live) -> None:
    add_class(live)
    for text in (["excuse ", ADA, " 1 sick"], "recording 1 https://youtu.be/x", "export", "report", ""):
        resp = seminar(live, text, user="U0ADA")
        assert resp.status_code == 200
        assert "only for the course's TAs" in resp.json()["text"]
        assert resp.json()["response_type"] == "ephemeral"
    assert live.slack.calls_to("response_url") == []
    assert live.slack.calls_to("files.completeUploadExternal") == []
    assert audit(live) == []
    with session_scope(live.runtime.engine) as session:
        assert session.exec(select(Excuse)).all() == [] and session.exec(select(RecordingLink)).all() == []


def test_help_and_usage(live: Live) -> None:
    resp = seminar(live, "help")
    assert (
        "TA tools" in resp.json()["text"]
        and "/seminar excuse &lt;student&gt; &lt;week&gt; [reason]" in resp.json()["text"]
    )
    assert "TA tools" in seminar(live, "").json()["text"]
    bad = seminar(live, ["excuse ", ADA, " week eleven"]).json()["text"]
    assert "`eleven` is not a week number" in bad and "Usage: `/seminar excuse" in bad
    assert "don't know `frobnicate`" in seminar(live, "frobnicate").json()["text"]
    assert audit(live) == []


def test_excuse_and_unexcuse(live: Live) -> None:
    ada, _ = add_class(live)
    resp = seminar(live, ["excuse ", ADA, " w1 sick with the flu"])
    assert resp.status_code == 200 and resp.text == ""
    reply = replies(live)[0]
    assert reply["response_type"] == "ephemeral"
    assert "Excused *Ada Lovelace* for week 1 (Thu Sep 23) — reason: sick with the flu" in reply["text"]
    with session_scope(live.runtime.engine) as session:
        excuse = session.exec(select(Excuse)).one()
        assert (excuse.student_id, excuse.week, excuse.reason, excuse.created_by) == (
            ada,
            1,
            "sick with the flu",
            "U0TA1",
        )
        record = class_record(session=session, course=live.runtime.course, now=live.clock())
    assert "yes (sick with the flu)" in to_table(record, 1)
    [action] = audit(live)
    assert action.ta_user_id == "U0TA1" and action.action == "excuse" and action.at is not None
    assert json.loads(action.detail) == {"student_id": ada, "week": 1, "reason": "sick with the flu"}

    seminar(live, ["excuse ", ADA, ' 1 "doctor\'s note"'])
    assert "doctor's note" in replies(live, 2)[1]["text"]
    seminar(live, ["unexcuse ", ADA, " 1"], user="U0TA2")
    assert "Withdrew *Ada Lovelace*'s excuse for week 1" in replies(live, 3)[2]["text"]
    with session_scope(live.runtime.engine) as session:
        assert session.exec(select(Excuse)).all() == []
    assert [(a.action, a.ta_user_id) for a in audit(live)] == [
        ("excuse", "U0TA1"),
        ("excuse", "U0TA1"),
        ("unexcuse", "U0TA2"),
    ]


def test_excuse_someone_not_on_the_roster(live: Live) -> None:
    seminar(live, ["excuse ", EVE, " 1"])
    assert "isn't on the roster" in replies(live)[0]["text"]
    assert audit(live) == []


def test_recording(live: Live) -> None:
    seminar(live, "recording week 2 https://www.youtube.com/watch?v=w2")
    assert (
        "Recording for week 2 (Thu Sep 30) set to https://www.youtube.com/watch?v=w2"
        in replies(live)[0]["text"]
    )
    seminar(live, "recording 2 https://youtu.be/better")
    assert "replacing https://www.youtube.com/watch?v=w2" in replies(live, 2)[1]["text"]
    with session_scope(live.runtime.engine) as session:
        link = session.get(RecordingLink, 2)
        assert link is not None and link.url == "https://youtu.be/better" and link.set_by == "U0TA1"
    bad = seminar(live, "recording 2 javascript:alert(1)").json()["text"]
    assert "not an http(s) link" in bad
    assert [a.action for a in audit(live)] == ["recording", "recording"]


def test_match_by_name_and_email(live: Live) -> None:
    ada, bob = add_class(live)
    seminar(live, ['match "Jane   Z" ', ADA])
    assert "Linked Zoom “Jane   Z” to *Ada Lovelace*" in replies(live)[0]["text"]
    seminar(live, ["match jane z ", BOB])
    assert "It was linked to Ada Lovelace before" in replies(live, 2)[1]["text"]
    seminar(live, ["match JZ@Gmail.com ", ADA])
    replies(live, 3)
    with session_scope(live.runtime.engine) as session:
        links = {(ln.kind, ln.value): ln.student_id for ln in session.exec(select(IdentityLink)).all()}
    assert links == {("name", "janez"): bob, ("email", "jz@gmail.com"): ada}
    assert [json.loads(a.detail).get("previous_student_id") for a in audit(live)] == [None, ada, None]


def test_match_resolves_student_by_slack_email(live: Live) -> None:
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Cy Young", "cy@example.edu")
    live.slack.add_user("U0CY", "cy@example.edu", "Cy")
    seminar(live, ["match 'Cy Y (iPad)' ", Pick("U0CY", "cy")])
    assert "*Cy Young*" in replies(live)[0]["text"]


def test_unmatched_when_everyone_is_matched(live: Live) -> None:
    seminar(live, "unmatched 1")
    assert "Every Zoom participant in week 1 is matched" in replies(live)[0]["text"]


def test_report(live: Live) -> None:
    add_class(live)
    seminar(live, "report")
    reply = replies(live)[0]
    text = all_text(reply)
    assert reply["response_type"] == "ephemeral"
    assert "Class report" in text and "Ada Lovelace" in text and "on_track" in text
    seminar(live, "report w1")
    assert "Week 1 report" in all_text(replies(live, 2)[1])


def test_report_of_a_large_class_fits_slack(live: Live) -> None:
    with session_scope(live.runtime.engine) as session:
        for i in range(400):
            add_student(session, f"Student Number {i:03} Withalongname", f"student{i:03}@example.edu")
    seminar(live, "report 1")
    first = replies(live)[0]
    sent = [c.body for c in live.slack.calls_to("response_url")]
    for message in sent:
        assert len(message["blocks"]) <= 50
        assert all(len((b.get("text") or {}).get("text", "")) <= 3000 for b in message["blocks"])
    body = "\n".join(all_text(m) for m in sent)
    assert "Student Number 000" in body and "Student Number 399" in body
    assert first["text"] == "Week 1 report"


def test_tally_command(live: Live) -> None:
    ada, _ = add_class(live)
    with session_scope(live.runtime.engine) as session:
        session.add(Question(student_id=ada, week=1, text="q", dedup_key="q1"))
    seminar(live, "tally")
    reply = replies(live)[0]["text"]
    assert "Week 1's tally is up to date in <#C0TAS>" in reply and "1 question" in reply
    [post] = live.slack.calls_to("chat.postMessage")
    assert post.body["channel"] == "C0TAS" and "Ada Lovelace (1)" in all_text(post.body)
    with session_scope(live.runtime.engine) as session:
        row = session.get(TallyMessage, 1)
        assert row is not None and row.rendered_version == row.version
    seminar(live, "tally 5")
    assert "Week 5's session is on Thu Oct 21" in replies(live, 2)[1]["text"]


@pytest.fixture
def fast_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about what is said, not Slack's pacing: don't wait its interval."""
    monkeypatch.setattr(tally, "MIN_INTERVAL", 0.2)
    monkeypatch.setattr(paced, "RETRY_BASE", 0.02)


@pytest.mark.usefixtures("fast_edits")
def test_tally_when_bot_is_not_in_channel(live: Live) -> None:
    live.slack.fail("chat.postMessage", error="not_in_channel")
    seminar(live, "tally 1")
    reply = replies(live)[0]["text"]
    assert "`not_in_channel`" in reply and "/invite @seminar-bot" in reply


def test_export_parses_back_to_the_report(live: Live) -> None:
    ada, bob = add_class(live)
    with session_scope(live.runtime.engine) as session:
        add_student(session, 'Zoë, "Z" Ångström', "zoe@example.edu", status="dropped")
        session.add(Question(student_id=ada, week=1, text="q", dedup_key="q1"))
        session.add(Excuse(student_id=bob, week=1, reason='flu, "bad"', created_by="U0TA1"))
    resp = seminar(live, "export")
    assert resp.json()["text"].startswith("Exporting…")
    [complete] = live.slack.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C0TAS"
    reply = replies(live)[0]["text"]
    assert "Uploaded `seminar-report-" in reply and "3 students, 30 rows" in reply
    [content] = live.slack.uploads.values()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    with session_scope(live.runtime.engine) as session:
        report = class_record(session=session, course=live.runtime.course, now=live.clock()).as_json()
    assert rows_to_report(rows) == {
        s["email"]: {
            "student": {k: s[k] for k in ("name", "status", "absences", "reflections", "standing")}
            | {"slack_user_id": s["slack_user_id"] or "", "questions": s["questions"]},
            "weeks": s["weeks"],
        }
        for s in report["students"]
    }
    by_week = {(r["email"], r["week"]): r for r in rows}
    assert by_week[("bob@example.edu", "1")]["excuse_reason"] == 'flu, "bad"'


def rows_to_report(rows: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Rebuild the report JSON (per student) from the CSV's text cells."""

    def value(text: str) -> Any:
        if text in ("True", "False"):
            return text == "True"
        return int(text) if text.isdigit() else text

    out: dict[str, dict[str, Any]] = {}
    week_keys = ("week", "webinar_minutes", "webinar_present", "discussion_minutes", "discussion_present")
    week_keys += ("questions", "reflection", "absent", "excused", "recording_watched")
    for r in rows:
        student = out.setdefault(
            r["email"],
            {
                "student": {
                    "name": r["name"],
                    "status": r["status"],
                    "absences": int(r["absences"]),
                    "reflections": int(r["reflections"]),
                    "standing": r["standing"],
                    "slack_user_id": r["slack_user_id"],
                    "questions": int(r["total_questions"]),
                },
                "weeks": [],
            },
        )
        student["weeks"].append({k: value(r[k]) for k in week_keys})
    return out


def test_empty_roster(live: Live) -> None:
    for i, text in enumerate(("report", "export"), start=1):
        seminar(live, text)
        assert "No students on the roster yet" in replies(live, i)[-1]["text"]
    assert live.slack.calls_to("files.getUploadURLExternal") == []


def test_export_upload_refused(live: Live) -> None:
    add_class(live)
    live.slack.fail("files.getUploadURLExternal", error="not_in_channel")
    seminar(live, "export 1")
    reply = replies(live)[0]["text"]
    assert "Couldn't upload the export" in reply and "/invite @seminar-bot" in reply


def zoom_week1(live: Live) -> None:
    """Week 1 on Zoom: Ada by email; Bob only as an unmatched "Bobby's iPad"."""

    def w(action: str, h: int, m: int, **who: str) -> dict[str, Any]:
        return visit("webinar", action, WEBINAR_ID, "W1==", local(2021, 9, 23, h, m), **who)

    def d(action: str, h: int, m: int, **who: str) -> dict[str, Any]:
        return visit("meeting", action, DISCUSSION_ID, "D1==", local(2021, 9, 23, h, m), **who)

    ada = {"user_id": "101", "name": "Ada Lovelace", "email": "ada@example.edu"}
    ipad = {"user_id": "301", "name": "Bobby's  iPad"}
    for body in (
        w("participant_joined", 13, 30, **ada),
        w("participant_left", 14, 30, **ada),
        d("participant_joined", 14, 30, **ada),
        d("participant_left", 15, 0, **ada),
        w("participant_joined", 13, 30, **ipad),
        w("participant_left", 14, 30, **ipad),
        d("participant_joined", 14, 30, **ipad),
        d("participant_left", 15, 0, **ipad),
    ):
        assert post(live.http, body).status_code == 200


@pytest.mark.usefixtures("fast_edits")
def test_unmatched_then_match_updates_report_and_summary(live: Live) -> None:
    ada, bob = add_class(live)
    with session_scope(live.runtime.engine) as session:
        for i in range(2):
            session.add(Question(student_id=ada, week=1, text="q", dedup_key=f"a{i}"))
            session.add(Question(student_id=bob, week=1, text="q", dedup_key=f"b{i}"))
    zoom_week1(live)
    live.clock.set(local(2021, 9, 23, 15, 5))

    seminar(live, "unmatched w1")
    listed = all_text(replies(live)[0])
    assert "webinar · 60 min · Bobby's  iPad" in listed and "discussion · 30 min" in listed
    seminar(live, "tally 1")
    replies(live, 2)
    summary = all_text(live.slack.calls_to("chat.postMessage", channel="C0TAS")[-1].body)
    assert (
        "Week 1 summary" in summary and "Bobby's  iPad" in summary and "Absent (not excused):* Bob" in summary
    )

    seminar(live, ["match bobby's ipad ", BOB])
    matched = replies(live, 3)[2]["text"]
    assert "to *Bob Babbage*" in matched and "week 1 webinar 60 min, week 1 discussion 30 min" in matched
    assert live.runtime.deps.tally.drain()
    final = all_text(live.slack.calls_to("chat.update", channel="C0TAS")[-1].body)
    assert "webinar 2 of 2" in final and "discussion 2 of 2" in final and "Everyone attended" in final
    assert "Bobby" not in final
    with session_scope(live.runtime.engine) as session:
        record = class_record(session=session, course=live.runtime.course, now=live.clock())
    bob_week = next(r for r in record.students if r.student.id == bob).weeks[0]
    assert (bob_week.webinar_minutes, bob_week.discussion_minutes, bob_week.absent) == (60, 30, False)
    seminar(live, "unmatched")
    assert "Every Zoom participant in any week is matched" in replies(live, 4)[3]["text"]
    [match] = [a for a in audit(live) if a.action == "match"]
    assert json.loads(match.detail)["identity"] == "bobby's ipad" and match.ta_user_id == "U0TA1"
