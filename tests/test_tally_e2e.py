"""The tally through the running app: a burst of 50 real /ask requests, and a graceful shutdown."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.app import build_slack_app, make_web_client
from bot.runtime import Runtime
from bot.web import create_app
from handlers.schedule import tally_worker as tally
from storage.db import session_scope
from storage.models import Question, TallyMessage
from tests.conftest import Live
from tests.factories import add_student
from tests.fakes.slack_api import FakeSlack
from tests.live import LiveServer
from tests.send import slash
from tests.test_tally import message_text


def test_burst_of_50_asks_through_slack(live: Live) -> None:
    with session_scope(live.runtime.engine) as session:
        for i in range(20):
            add_student(session, f"Student {i:02}", f"s{i}@example.edu", slack_user_id=f"U0S{i:02}")
    askers = [f"U0S{i:02}" for i in range(15) for _ in range(3)] + [f"U0S{i:02}" for i in range(15, 20)]

    def ask(n: int) -> int:
        user = askers[n]
        return slash(live, "/ask", f"Question {n}?", user, trigger_id=f"burst-{n}").status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert set(pool.map(ask, range(50))) == {200}
    live.slack.wait_for("response_url", 50, timeout=20)
    assert live.runtime.deps.tally.drain(timeout=20)

    posts = live.slack.calls_to("chat.postMessage", channel="C0TAS")
    edits = live.slack.calls_to("chat.update", channel="C0TAS")
    assert len(posts) == 1 and len(edits) <= 5
    times = [c.at for c in posts + edits]
    assert all(b - a >= tally.MIN_INTERVAL - 0.3 for a, b in zip(times, times[1:], strict=False))
    final = message_text((posts + edits)[-1])
    assert "50 questions" in final and "15 of 20" in final
    assert all(f"Student {i:02} (1)" in final for i in range(15, 20))
    assert "Student 00" not in final
    with session_scope(live.runtime.engine) as session:
        row = session.get(TallyMessage, 1)
        assert row is not None and row.version == row.rendered_version == 50


def test_shutdown_waits_for_the_last_tally_edit(runtime: Runtime, fake_slack: FakeSlack) -> None:
    client = make_web_client(runtime.settings)
    app = create_app(runtime, slack_app=build_slack_app(runtime.settings, runtime.deps, client))
    with session_scope(runtime.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        assert ada
        session.add(Question(student_id=ada, week=1, text="q", dedup_key="q1"))
    fake_slack.delays["chat.postMessage"] = 0.5
    with LiveServer(app):
        runtime.deps.tally.note_question(client, 1)
    assert len(fake_slack.calls_to("chat.postMessage", channel="C0TAS")) == 1
