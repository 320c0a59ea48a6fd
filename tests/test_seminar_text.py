"""`/seminar` with what Slack really sends: escaped text, each way to name a student, user text in tables."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from handlers.slack.views.mrkdwn import unescape
from storage.db import session_scope
from storage.models import Excuse, IdentityLink, RecordingLink, TaAction
from tests.conftest import Live
from tests.factories import add_student, local
from tests.signing import Pick, slack_headers, slash_body
from tests.test_seminar import all_text, replies, seminar
from tests.zoom_payloads import WEBINAR_ID, post, visit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def roster(live: Live) -> dict[str, int]:
    """Two Adas, Bob (Slack unlinked, a Zoom email) and two students both named Sam Lee."""
    with session_scope(live.runtime.engine) as session:
        people = [
            add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA"),
            add_student(session, "Ada Byron", "byron@example.edu"),
            add_student(session, "Bob  Babbage", "bob@example.edu", zoom_email="Bobby@Gmail.com"),
            add_student(session, "Sam Lee", "sam1@example.edu"),
            add_student(session, "sam lee", "sam2@example.edu"),
        ]
        return {s.email: s.id for s in people if s.id is not None}


def excuses(live: Live) -> dict[tuple[int, int], str]:
    with session_scope(live.runtime.engine) as session:
        return {(e.student_id, e.week): e.reason for e in session.exec(select(Excuse)).all()}


def actions(live: Live) -> int:
    with session_scope(live.runtime.engine) as session:
        return len(session.exec(select(TaAction)).all())


def test_a_student_named_by_email_zoom_email_or_roster_name(live: Live) -> None:
    ids = roster(live)
    bob, ada = ids["bob@example.edu"], ids["ada@example.edu"]
    commands: list[Any] = [
        "excuse BOB@example.EDU 1 sick",  # Slack sends the email as <mailto:…|…>
        "excuse bobby@gmail.com week 2",
        "excuse bob babbage w3 flu & cold",
        'excuse "ADA  LOVELACE" 4',
        ["excuse ", Pick("U0ADA", "ada"), " 5 <b>"],
    ]
    for n, text in enumerate(commands, start=1):
        seminar(live, text)
        replies(live, n)
    texts = [r["text"] for r in replies(live, 5)]
    assert all(t.startswith("Excused *") for t in texts), texts
    assert excuses(live) == {
        (bob, 1): "sick",
        (bob, 2): "",
        (bob, 3): "flu & cold",
        (ada, 4): "",
        (ada, 5): "<b>",
    }
    assert "reason: flu &amp; cold" in texts[2] and "reason: &lt;b&gt;" in texts[4]
    seminar(live, "unexcuse Bob Babbage 3")
    replies(live, 6)
    seminar(live, 'match "Jane Z" bob babbage')
    assert "Withdrew *Bob  Babbage*'s excuse for week 3" in replies(live, 7)[5]["text"]
    assert "to *Bob  Babbage*" in replies(live, 7)[6]["text"]
    with session_scope(live.runtime.engine) as session:
        assert [(ln.value, ln.student_id) for ln in session.exec(select(IdentityLink)).all()] == [
            ("janez", bob)
        ]


def test_unknown_or_ambiguous_names_change_nothing(live: Live) -> None:
    ids = roster(live)
    cases = [
        ("excuse Sam Lee 1", ["fits 2 students", "sam1@example.edu", "sam2@example.edu"]),
        ("excuse Ada 1", ["No student on the roster has the name `Ada`", "Ada Lovelace", "Ada Byron"]),
        ("excuse nobody@example.edu 1", ["email (roster or Zoom) `nobody@example.edu`"]),
        ('match "Jane" Sam Lee', ["fits 2 students"]),
        ("unexcuse Ada 1", ["Close matches"]),
    ]
    for i, (text, expected) in enumerate(cases, start=1):
        seminar(live, text)
        reply = replies(live, i)[-1]["text"]
        assert all(e in reply for e in expected) and "Nothing was changed" in reply, reply
    assert excuses(live) == {} and actions(live) == 0 and len(ids) == 5


def test_a_picked_user_when_slack_does_not_escape(live: Live) -> None:
    """With escaping off Slack sends `@name`: a roster name still works; anything else is explained."""
    ids = roster(live)
    for n, who in enumerate([Pick("U0BOB", "Bob Babbage"), Pick("U0ADA", "ada.l")], start=1):
        body = slash_body(
            "/seminar", ["excuse ", who, " 1"], escaped=False, user_id="U0TA1", response_url=live.response_url
        )
        assert live.http.post("/slack/events", content=body, headers=slack_headers(body)).status_code == 200
        replies(live, n)
    first, second = (r["text"] for r in replies(live, 2))
    assert first.startswith("Excused *Bob  Babbage*")
    assert "`@ada.l`" in second and "Escape channels, users, and links" in second
    assert excuses(live) == {(ids["bob@example.edu"], 1): ""}


def test_typed_text_is_stored_as_typed_and_escaped_once(live: Live) -> None:
    ids = roster(live)
    reason = "a<b & c>d &amp; &lt;"
    url = "https://www.youtube.com/watch?v=abc&t=42s&list=x"
    commands = [
        f"excuse ada@example.edu 1 {reason}",
        "excuse byron@example.edu 1 " + "<" * 1000,  # 1,000 typed, 4,000 as Slack sends it
        f"recording 1 {url}",
    ]
    for n, text in enumerate(commands, start=1):
        seminar(live, text)
        replies(live, n)
    first, second, third = (r["text"] for r in replies(live, 3))
    assert excuses(live) == {(ids["ada@example.edu"], 1): reason, (ids["byron@example.edu"], 1): "<" * 1000}
    assert unescape(first.split("reason: ", 1)[1].split(".\n")[0]) == reason
    assert second.startswith("Excused *Ada Byron*")
    with session_scope(live.runtime.engine) as session:
        link = session.get(RecordingLink, 1)
        assert link is not None and link.url == url
    assert "<" not in third and unescape(third).count(url) == 1


def test_user_text_cannot_break_the_code_blocks(live: Live) -> None:
    with session_scope(live.runtime.engine) as session:
        add_student(session, "```Ada``` `x`", "ada@example.edu")
    for action, minute in (("participant_joined", 30), ("participant_left", 50)):
        body = visit(
            "webinar", action, WEBINAR_ID, "W1==", local(2021, 9, 23, 13, minute),
            user_id="9", name="Eve ``` <!channel> &amp;",
        )  # fmt: skip
        assert post(live.http, body).status_code == 200
    live.clock.set(local(2021, 9, 23, 15, 5))
    for n, text in enumerate(["unmatched 1", "report 1", "report"], start=1):
        seminar(live, text)
        replies(live, n)
    for message in replies(live, 3):
        code = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
        assert code and all(c.startswith("```") and c.endswith("```") and c.count("`") == 6 for c in code)
        assert all("<" not in c for c in code)
    listed = unescape(all_text(replies(live, 3)[0])).replace("\u02cb", "`")
    assert "Eve ``` <!channel> &amp;" in listed


def test_export_and_cli_csv_neutralise_formulas(live: Live) -> None:
    hostile = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Plain"]
    hostile += [" =1+1", '"=1+1"', "\n@SUM(A1)", "' -2"]  # run by spreadsheets that trim on import
    with session_scope(live.runtime.engine) as session:
        for i, name in enumerate(hostile):
            s = add_student(session, name, f"s{i}@example.edu")
            session.add(Excuse(student_id=s.id or 0, week=1, reason=name, created_by="U0TA1"))
    seminar(live, "export 1")
    live.slack.wait_for("files.completeUploadExternal")
    [content] = live.slack.uploads.values()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
    assert sorted(r["name"] for r in rows) == sorted(_neutral(n) for n in hostile)
    assert all(not cell.startswith(FORMULA_STARTS) for r in rows for cell in r.values())
    assert all(r["excuse_reason"] == r["name"] for r in rows) and {r["week"] for r in rows} == {"1"}
    settings = live.runtime.settings
    env = {"DATABASE_URL": settings.database_url, "COURSE_FILE": str(settings.course_file)}
    cli = CliRunner().invoke(app, ["report", "--format", "csv", "--week", "1"], env=env)
    assert cli.exit_code == 0, cli.output
    printed = list(csv.DictReader(io.StringIO(cli.stdout, newline="")))  # at the real clock: compare the text
    cells = sorted((r["name"], r["excuse_reason"]) for r in printed)
    assert cells == sorted((n, n) for n in map(_neutral, hostile))


def _neutral(text: str) -> Any:
    """The cell a safe CSV holds: `'` first when a formula character follows any spaces and quotes."""
    runs = text.startswith(FORMULA_STARTS) or text.lstrip(" \n\"'").startswith(FORMULA_STARTS)
    return "'" + text if runs else text
