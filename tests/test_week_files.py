"""The question brief and the reflection digest: uploaded once by the scheduler (also after Slack
was down), and printed by `seminar-bot brief` / `reflections` from the same builder."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.runtime import Runtime
from handlers.schedule.due import BRIEF, REFLECTIONS
from rules.week_markdown import quote_lines
from storage.db import session_scope
from storage.models import Question, QuestionState, QuestionVote, Reflection, utcnow
from tests.factories import local
from tests.fakes.slack_api import FakeSlack
from tests.scheduling import enrol, run

TAS = "C0TAS"
ASK_CLOSES = local(2021, 9, 23, 15, 15)
WEEK1_DUE = local(2021, 9, 30, 13, 30)


@pytest.fixture
def week1(runtime: Runtime) -> Engine:
    """Ada asked twice (the later one has Cy's vote and was asked); Bob reflected late; Cy has none."""
    people = enrol(runtime.engine, ("Ada", "U0ADA"), ("Bob", "U0BOB"), ("Cy", "U0CY"))
    ada, bob, cy = (people[n].id or 0 for n in ("Ada", "Bob", "Cy"))
    with session_scope(runtime.engine) as session:
        at = local(2021, 9, 23, 14, 40)
        first = Question(student_id=ada, week=1, text="Why *p99*?", dedup_key="a", asked_at=at)
        later = at + timedelta(minutes=1)
        second = Question(student_id=ada, week=1, text="And # costs?", dedup_key="b", asked_at=later)
        session.add_all([first, second])
        session.flush()
        assert second.id is not None
        session.add(QuestionVote(question_id=second.id, student_id=cy))
        session.add(QuestionState(question_id=second.id, asked_at=utcnow(), asked_by="U0TA1"))
        session.add(Reflection(student_id=bob, week=1, text="One. Two.", sentences=2, late=True))
    return runtime.engine


def test_the_brief_goes_once_when_ask_closes(week1: Engine, runtime: Runtime, fake_slack: FakeSlack) -> None:
    assert run(week1, runtime.course, runtime.settings, ASK_CLOSES - timedelta(minutes=1)).sent[BRIEF] == 0
    assert run(week1, runtime.course, runtime.settings, ASK_CLOSES).sent[BRIEF] == 1
    assert run(week1, runtime.course, runtime.settings, ASK_CLOSES + timedelta(hours=2)).sent[BRIEF] == 0
    [brief] = fake_slack.shared(TAS)
    text = brief["content"]
    assert text.index(r"And \# costs?") < text.index(r"Why \*p99\*?")  # one vote beats an earlier question
    assert "**1 vote** · Ada" in text and "asked in the discussion" in text and "not asked" in text
    out = CliRunner().invoke(app, ["brief", "--week", "1"], env=_env(runtime))
    assert out.exit_code == 0 and out.stdout == text


def test_the_reflection_digest_goes_once_when_reflections_fall_due(
    week1: Engine, runtime: Runtime, fake_slack: FakeSlack
) -> None:
    assert run(week1, runtime.course, runtime.settings, WEEK1_DUE).sent[REFLECTIONS] == 1
    assert run(week1, runtime.course, runtime.settings, WEEK1_DUE + timedelta(hours=1)).sent[REFLECTIONS] == 0
    [digest] = [f for f in fake_slack.shared(TAS) if "Reflections" in f["content"]]
    text = digest["content"]
    assert "## Bob — late" in text and r"> One\. Two\." in text
    assert text.split("## No reflection", 1)[1].split() == ["-", "Ada", "-", "Cy"]
    out = CliRunner().invoke(app, ["reflections", "--week", "1"], env=_env(runtime))
    assert out.exit_code == 0 and out.stdout == text


def test_slack_down_when_the_brief_is_due_sends_it_later_once(
    week1: Engine, runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("files.getUploadURLExternal", status=503, times=1)
    wall = utcnow()
    first = run(week1, runtime.course, runtime.settings, ASK_CLOSES, wall=wall)
    assert first.sent[BRIEF] == 0 and first.retrying and fake_slack.shared(TAS) == []
    for minutes, sent in ((2, 1), (9, 0)):
        step = timedelta(minutes=minutes)
        later = run(week1, runtime.course, runtime.settings, ASK_CLOSES + step, wall=wall + step)
        assert later.sent[BRIEF] == sent
    assert len(fake_slack.shared(TAS)) == 1


def test_an_unknown_week_is_an_error(runtime: Runtime) -> None:
    out = CliRunner().invoke(app, ["brief", "--week", "99"], env=_env(runtime))
    assert out.exit_code != 0 and "week 99" in out.output


def _env(runtime: Runtime) -> dict[str, str]:
    s = runtime.settings
    return {"DATABASE_URL": s.database_url, "COURSE_FILE": str(s.course_file)}


HOSTILE = (
    "# Title\r## Next\n[click](javascript:alert(1)) <img src=x onerror=alert(2)>\n"
    "===\n1. list\n`code`&lt;"
)


def test_question_and_reflection_text_cannot_inject_markdown(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    """A question or reflection is quoted literally: no heading, link, HTML, list or code of its own."""
    people = enrol(runtime.engine, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    with session_scope(runtime.engine) as session:
        at = local(2021, 9, 23, 14, 40)
        ada = people["Ada"].id or 0
        session.add(Question(student_id=ada, week=1, text=HOSTILE, dedup_key="h", asked_at=at))
        session.add(Reflection(student_id=people["Bob"].id or 0, week=1, text=HOSTILE, sentences=2))
    run(runtime.engine, runtime.course, runtime.settings, ASK_CLOSES)
    run(runtime.engine, runtime.course, runtime.settings, WEEK1_DUE)
    files = [f["content"] for f in fake_slack.shared(TAS)]
    assert len(files) == 2
    for text in files:
        quoted = [line.lstrip() for line in text.splitlines() if line.lstrip().startswith(">")]
        assert len(quoted) == 6, text
        for line in quoted:
            assert not _unescaped_markup(line[1:]), line


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_quoted_text_has_no_unescaped_markup(text: str) -> None:
    for line in quote_lines(text, "> "):
        assert line.startswith(">") and not line.startswith(">  ")  # no indented code block
        assert not _unescaped_markup(line[1:]), line


def _unescaped_markup(line: str) -> str:
    """The Markdown control characters left after removing backslash escapes."""
    return "".join(c for c in re.sub(r"\\.", "", line) if c in "\\`*_[]()#+-.!|<>~=&")


def test_a_brief_whose_upload_landed_before_a_5xx_is_not_sent_again(
    week1: Engine, runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("files.completeUploadExternal", status=503, times=1, landed=True)
    wall = utcnow()
    first = run(week1, runtime.course, runtime.settings, ASK_CLOSES, wall=wall)
    assert first.sent[BRIEF] == 0 and first.retrying and len(fake_slack.shared(TAS)) == 1
    step = timedelta(minutes=2)
    later = run(week1, runtime.course, runtime.settings, ASK_CLOSES + step, wall=wall + step)
    assert later.sent[BRIEF] == 1 and not later.retrying
    assert len(fake_slack.shared(TAS)) == 1


def test_a_tas_own_upload_of_the_same_name_does_not_stop_the_brief(
    week1: Engine, runtime: Runtime, fake_slack: FakeSlack
) -> None:
    """A TA shared `seminar-bot brief`'s output under the brief's file name: the bot's brief still goes."""
    own = {"id": "F0TA", "name": "questions-week1.md", "title": "questions-week1.md"}
    share = {"type": "message", "user": "U0TA1", "ts": f"{time.time():.6f}", "text": "", "files": [own]}
    fake_slack.file_shares.setdefault(TAS, []).append(share)
    assert run(week1, runtime.course, runtime.settings, ASK_CLOSES).sent[BRIEF] == 1
    assert len(fake_slack.shared(TAS)) == 1
