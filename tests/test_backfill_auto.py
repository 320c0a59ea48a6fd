"""Automatic back-fill: once per part across processes, retried after a Zoom failure, never a hang."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.config import Settings
from bot.runtime import Runtime
from bot.scheduler import BackfillTick, DueTick, scheduler_client
from bot.zoom_client import make_zoom_api
from handlers.records import summarize_week
from handlers.slack.views.tally_message import tally_message
from handlers.zoom.api import ZoomApiError
from handlers.zoom.autobackfill import due_parts, run_backfill
from storage.db import session_scope
from storage.models import ZoomBackfill, utcnow
from tests.factories import local
from tests.fakes.zoom_api import FakeZoom
from tests.process import run_due_together
from tests.test_zoom_backfill import MEETING_PATH, WEBINAR_PATH, serve_week1
from tests.zoom_payloads import WEBINAR_ID

AFTER_BOTH = local(2021, 9, 23, 15, 31)  # webinar ended 14:30, discussion 15:00; default 30 minutes after


def backfills(engine: Engine) -> dict[tuple[int, str], ZoomBackfill]:
    with session_scope(engine) as session:
        return {(r.week, r.part): r for r in session.exec(select(ZoomBackfill)).all()}


def test_parts_fall_due_backfill_after_minutes_after_their_scheduled_end(runtime: Runtime) -> None:
    deps = runtime.deps
    assert due_parts(deps, local(2021, 9, 23, 14, 59)) == []
    assert [(w.number, p) for w, p in due_parts(deps, local(2021, 9, 23, 15, 0))] == [(1, "webinar")]
    assert [(w.number, p) for w, p in due_parts(deps, AFTER_BOTH)] == [(1, "webinar"), (1, "discussion")]


def test_two_run_due_processes_backfill_each_part_once_without_slack(
    engine: Engine, db_url: str, settings: Settings, fake_zoom: FakeZoom
) -> None:
    serve_week1(fake_zoom)
    fake_zoom.stall = 0.2  # slow enough that the two processes overlap
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "COURSE_FILE": str(settings.course_file),
        "ZOOM_ACCOUNT_ID": fake_zoom.account_id,
        "ZOOM_CLIENT_ID": fake_zoom.client_id,
        "ZOOM_CLIENT_SECRET": fake_zoom.client_secret,
        "ZOOM_API_URL": fake_zoom.api_url,
        "ZOOM_OAUTH_URL": fake_zoom.oauth_url,
    }
    outputs = run_due_together(env, "2021-09-23T15:31")
    assert all("Slack is not configured" in out for out in outputs)
    said = "".join(outputs)
    assert said.count("back-filled week 1 webinar: 2 visits in Zoom's report, 2 new") == 1, said
    assert said.count("back-filled week 1 discussion: 1 visits in Zoom's report, 1 new") == 1, said
    assert len(fake_zoom.calls_to(WEBINAR_PATH)) == 3 and len(fake_zoom.calls_to(MEETING_PATH)) == 1
    done = backfills(engine)
    assert {k: (r.status, r.visits, r.added) for k, r in done.items()} == {
        (1, "webinar"): ("done", 2, 2),
        (1, "discussion"): ("done", 1, 1),
    }


def test_a_zoom_failure_is_retried_on_a_later_tick_and_the_summary_says_what_was_added(
    runtime: Runtime, fake_zoom: FakeZoom
) -> None:
    deps, wall = runtime.deps, utcnow()
    connect = BackfillTick(runtime, timeout=5).connect
    fake_zoom.fail(f"/v2/past_webinars/{WEBINAR_ID}/instances", 500)
    first = run_backfill(deps, connect, AFTER_BOTH, owner="a", wall=lambda: wall)
    assert first.done == [] and [(w, p) for w, p, _ in first.retrying] == [(1, "webinar")]
    assert "500" in first.retrying[0][2]
    assert backfills(runtime.engine)[(1, "webinar")].status == "claimed"
    again = run_backfill(deps, connect, AFTER_BOTH, owner="b", wall=lambda: wall + timedelta(seconds=30))
    assert again.busy == 1 and again.done == []  # the webinar backs off; the discussion gets its first try
    assert [(w, p) for w, p, _ in again.retrying] == [(1, "discussion")]
    serve_week1(fake_zoom)
    later = run_backfill(deps, connect, AFTER_BOTH, owner="c", wall=lambda: wall + timedelta(minutes=2))
    assert [(w, r.part, r.added) for w, r in later.done] == [(1, "webinar", 2), (1, "discussion", 1)]
    final = run_backfill(deps, connect, AFTER_BOTH, owner="d", wall=lambda: wall + timedelta(hours=1))
    assert final.lines() == [], "each part is back-filled once"
    with session_scope(runtime.engine) as session:
        summary = summarize_week(session=session, course=deps.course, now=AFTER_BOTH, week=1, final=True)
    _, blocks = tally_message(summary)
    note = "\n".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])
    assert "Back-filled from Zoom's participant reports: webinar: 2 visits added (2 in Zoom's report)" in note
    assert "discussion: 1 visit added (1 in Zoom's report)" in note


def test_every_zoom_request_has_a_timeout_the_token_one_included(
    settings: Settings, fake_zoom: FakeZoom
) -> None:
    fake_zoom.stall = 3.0  # Zoom stops answering
    started = time.monotonic()
    with pytest.raises(ZoomApiError, match="cannot get a Zoom token"):
        make_zoom_api(settings, timeout=1)
    assert time.monotonic() - started < 2.5
    fake_zoom.stall = 0.0
    api = make_zoom_api(settings, timeout=1)
    fake_zoom.stall = 3.0
    started = time.monotonic()
    with pytest.raises(ZoomApiError, match="cannot reach the Zoom API"):
        api.get(f"/past_webinars/{WEBINAR_ID}/instances")
    assert time.monotonic() - started < 2.5


def test_a_stalled_zoom_never_holds_up_the_slack_tick(runtime: Runtime, fake_zoom: FakeZoom) -> None:
    runtime.clock = lambda: AFTER_BOTH  # type: ignore[method-assign]
    fake_zoom.stall = 3.0
    due = DueTick(runtime, scheduler_client(runtime.settings))

    async def both() -> float:
        fill = asyncio.create_task(BackfillTick(runtime, timeout=2)())
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await due()
        took = time.monotonic() - started
        assert not fill.done(), "the back-fill is still waiting on Zoom"
        await fill
        return took

    assert asyncio.run(both()) < 1.5
    row = backfills(runtime.engine)[(1, "webinar")]
    assert row.status == "claimed" and "cannot get a Zoom token" in (row.error or "")
    assert (1, "discussion") not in backfills(runtime.engine), "the rest waits for the next tick"
