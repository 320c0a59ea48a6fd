"""The scheduled DMs' buttons work against the running app: no dead ends."""

from __future__ import annotations

from datetime import timedelta

from handlers.schedule.due import LINK, PROMPT
from storage.db import session_scope
from storage.models import Excuse, RecordingLink
from tests.conftest import Live
from tests.factories import local
from tests.scheduling import blocks, buttons, dms, enrol, posts, run
from tests.send import action

WEEK2_END = local(2021, 9, 30, 15, 0)


def test_write_my_reflection_opens_the_form(live: Live) -> None:
    rt = live.runtime
    people = enrol(rt.engine, ("Ada", "U0ADA"))
    with session_scope(rt.engine) as session:
        session.add(Excuse(student_id=people["Ada"].id, week=2, reason="-", created_by="U0TA1"))
    assert dms(run(rt.engine, rt.course, rt.settings, WEEK2_END)).get(PROMPT) == 1
    [prompt] = [c for c in posts(live.slack, "U0ADA") if buttons(c) == [("reflect_open", "2")]]
    live.clock.set(WEEK2_END + timedelta(hours=1))
    message = {"ts": "1.2", "text": prompt.body["text"], "blocks": blocks(prompt)}
    assert action(live, "U0ADA", "reflect_open", "2", message=message).status_code == 200
    [opened] = live.slack.wait_for("views.open")
    assert "Week 2" in str(opened.body["view"])


def test_i_watched_the_recording_is_recorded_and_stops_the_link_follow_up(live: Live) -> None:
    rt = live.runtime
    enrol(rt.engine, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    run(rt.engine, rt.course, rt.settings, WEEK2_END + timedelta(minutes=20))
    [notice] = [c for c in posts(live.slack, "U0ADA") if buttons(c) == [("recording_watched", "2")]]
    live.clock.set(WEEK2_END + timedelta(hours=2))
    message = {"ts": "1.2", "text": notice.body["text"], "blocks": blocks(notice)}
    assert action(live, "U0ADA", "recording_watched", "2", message=message).status_code == 200
    [update] = live.slack.wait_for("response_url")
    assert "Recorded" in str(update.body["blocks"])

    with session_scope(rt.engine) as session:
        session.add(RecordingLink(week=2, url="https://youtu.be/week2", set_by="U0TA1"))
    summary = run(rt.engine, rt.course, rt.settings, WEEK2_END + timedelta(hours=3))
    assert dms(summary).get(LINK) == 1
    assert "https://youtu.be/week2" in posts(live.slack, "U0BOB")[-1].body["text"]
    assert not any("youtu.be/week2" in c.body["text"] for c in posts(live.slack, "U0ADA"))
