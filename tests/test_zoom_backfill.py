"""`seminar-bot zoom backfill`: real zoomus against the fake Zoom API (pages, 401, 429, uuids)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner, Result
from zoomus import ZoomClient

from bot.cli import app as cli
from bot.runtime import Runtime
from handlers.zoom_api import ZoomApi, ZoomApiError, encode_uuid, scopes_for
from handlers.zoom_events import event_row
from storage.db import session_scope
from storage.models import ZoomEvent
from storage.zoom_store import insert_events, insert_new
from tests.factories import add_student, local
from tests.fakes.zoom_api import FakeZoom
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, raw, sample, visit, zulu

WEBINAR_UUID = "/W1//abc+def=="  # starts with / and has //: double-encoded
WEBINAR_PATH = "/v2/report/webinars/%252FW1%252F%252Fabc%252Bdef%253D%253D/participants"
MEETING_UUID = "D1/xyz=="
MEETING_PATH = "/v2/report/meetings/D1%2Fxyz%3D%3D/participants"


def participant(
    name: str, email: str, start: tuple[int, int], end: tuple[int, int], **extra: Any
) -> dict[str, Any]:
    """A report row shaped like Zoom's sample, for week 1."""
    row = sample("rest.report-webinars-participants")["participants"][0]
    row.update(
        name=name,
        user_email=email,
        join_time=zulu(local(2021, 9, 23, *start)),
        leave_time=zulu(local(2021, 9, 23, *end)),
        registrant_id="",
        participant_user_id="",
        id="",
        **extra,
    )
    return row


def serve_week1(fake: FakeZoom) -> None:
    instances = sample("rest.past_webinars-instances")
    instances["webinars"] = [
        {"uuid": "old-week", "start_time": "2021-09-16T20:29:00Z"},
        {"uuid": WEBINAR_UUID, "start_time": zulu(local(2021, 9, 23, 13, 29))},
    ]
    fake.set_json(f"/v2/past_webinars/{WEBINAR_ID}/instances", instances)
    fake.set_pages(
        WEBINAR_PATH,
        [
            {"participants": [participant("Ada Lovelace", "ada@example.edu", (13, 30), (14, 0))]},
            {"participants": [participant("Ada Lovelace", "ada@example.edu", (14, 5), (14, 20))]},
            {"participants": [participant("Zoë Ångström", "", (13, 30), (14, 30), status="in_waiting_room")]},
        ],
    )
    fake.set_json(
        f"/v2/past_meetings/{DISCUSSION_ID}/instances",
        {"meetings": [{"uuid": MEETING_UUID, "start_time": zulu(local(2021, 9, 23, 14, 30))}]},
    )
    fake.set_pages(MEETING_PATH, [{"participants": [participant("Guest", "g@x.com", (14, 30), (14, 42))]}])


@pytest.fixture
def invoke(runtime: Runtime, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    s = runtime.settings
    env = {
        "DATABASE_URL": s.database_url,
        "COURSE_FILE": str(s.course_file),
        "ZOOM_ACCOUNT_ID": s.zoom_account_id,
        "ZOOM_CLIENT_ID": s.zoom_client_id,
        "ZOOM_CLIENT_SECRET": s.zoom_client_secret,
        "ZOOM_API_URL": s.zoom_api_url,
        "ZOOM_OAUTH_URL": s.zoom_oauth_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return run


def test_backfill_merges_with_webhooks_without_double_counting(
    runtime: Runtime, fake_zoom: FakeZoom, invoke
) -> None:  # type: ignore[no-untyped-def]
    serve_week1(fake_zoom)
    with session_scope(runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu")
        at = local(2021, 9, 23, 13, 30)
        body = visit(
            "webinar", "participant_joined", WEBINAR_ID, WEBINAR_UUID, at, user_id="7", name="Ada Lovelace"
        )
        left = visit(
            "webinar",
            "participant_left",
            WEBINAR_ID,
            WEBINAR_UUID,
            local(2021, 9, 23, 14, 0),
            user_id="7",
            name="Ada Lovelace",
        )
        insert_events(session=session, rows=[event_row(b, raw(b).decode(), at) for b in (body, left)])
    first = invoke("zoom", "backfill", "--week", "1")
    assert first.exit_code == 0, first.output
    assert "week 1 webinar (81234567890): 1 instance, 2 visits read, 2 new" in first.stdout
    assert "week 1 discussion (81234567891): 1 instance, 1 visits read, 1 new" in first.stdout
    pages = fake_zoom.calls_to(WEBINAR_PATH)
    assert [c.query.get("next_page_token") for c in pages] == [None, "1", "2"]
    assert all(c.query["page_size"] == "300" for c in pages)
    again = invoke("zoom", "backfill", "--week", "1")
    assert "2 visits read, 0 new" in again.stdout
    report = json.loads(invoke("report", "--week", "1", "--format", "json").stdout)
    assert report["students"][0]["weeks"][0]["webinar_minutes"] == 45  # 13:30–14:00 ∪ 14:05–14:20
    assert report["unmatched"] == [
        {"week": 1, "part": "discussion", "name": "Guest", "email": "g@x.com", "minutes": 12}
    ]


def test_no_instance_that_day_is_an_error_naming_the_part(
    runtime: Runtime, fake_zoom: FakeZoom, invoke
) -> None:  # type: ignore[no-untyped-def]
    serve_week1(fake_zoom)
    result = invoke("zoom", "backfill", "--week", "2")
    assert result.exit_code == 1
    assert "week 2 webinar: Zoom lists no webinar instance of 81234567890 on 2021-09-30" in result.stderr


def test_missing_or_wrong_credentials(
    runtime: Runtime, fake_zoom: FakeZoom, invoke, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", "not-the-secret")
    wrong = invoke("zoom", "backfill", "--week", "1")
    assert wrong.exit_code == 1 and "Zoom issued no token" in wrong.stderr
    assert "not-the-secret" not in wrong.output
    monkeypatch.delenv("ZOOM_CLIENT_SECRET")
    unset = invoke("zoom", "backfill", "--week", "1")
    assert unset.exit_code == 1 and "ZOOM_CLIENT_SECRET" in unset.stderr
    assert fake_zoom.calls_to(f"/v2/past_webinars/{WEBINAR_ID}/instances") == []


def zoom_api(fake: FakeZoom, waits: list[float]) -> ZoomApi:
    client = ZoomClient(
        fake.client_id, fake.client_secret, fake.account_id, base_uri=fake.api_url, oauth_uri=fake.oauth_url
    )
    return ZoomApi(client, sleep=waits.append)


def test_expired_token_is_refreshed_once(fake_zoom: FakeZoom, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_week1(fake_zoom)
    api = zoom_api(fake_zoom, [])
    fake_zoom.expire_tokens()
    rows = list(api.pages(WEBINAR_PATH.removeprefix("/v2"), "participants"))
    assert len(rows) == 3
    assert len([c for c in fake_zoom.calls if c.raw_path == "/oauth/token"]) == 2
    monkeypatch.setattr(fake_zoom, "client_secret", "rotated")  # refreshing cannot help now
    fake_zoom.expire_tokens()
    with pytest.raises(ZoomApiError, match="401.*ZOOM_CLIENT_SECRET"):
        api.get("/report/webinars/1/participants")


def test_rate_limit_waits_for_retry_after(fake_zoom: FakeZoom) -> None:
    serve_week1(fake_zoom)
    waits: list[float] = []
    api = zoom_api(fake_zoom, waits)
    fake_zoom.fail(MEETING_PATH, 429, headers={"Retry-After": "3"}, times=2)
    fake_zoom.fail(MEETING_PATH, 429)  # no Retry-After: exponential back-off
    rows = list(api.pages(MEETING_PATH.removeprefix("/v2"), "participants"))
    assert len(rows) == 1 and waits == [3.0, 3.0, 4.0]
    fake_zoom.fail(MEETING_PATH, 429, headers={"Retry-After": "86400"})  # the daily limit
    with pytest.raises(ZoomApiError, match="rate limit is reached for about 1440 minutes"):
        api.get(MEETING_PATH.removeprefix("/v2"))


def test_uuid_encoding() -> None:
    assert encode_uuid("/abc==") == "%252Fabc%253D%253D"
    assert encode_uuid("a//b") == "a%252F%252Fb"
    assert encode_uuid("Bznyg8KZTdCVbQxvS/oZ7w==") == "Bznyg8KZTdCVbQxvS%2FoZ7w%3D%3D"


def test_an_empty_report_is_a_normal_answer(runtime: Runtime, fake_zoom: FakeZoom, invoke) -> None:  # type: ignore[no-untyped-def]
    """Zoom answers an instance nobody attended with no rows: nothing stored, and the CLI says so."""
    serve_week1(fake_zoom)
    fake_zoom.set_report(WEBINAR_PATH, "participants", [])
    fake_zoom.set_report(MEETING_PATH, "participants", [])
    result = invoke("zoom", "backfill", "--week", "1")
    assert result.exit_code == 0, result.output
    assert "week 1 webinar (81234567890): 1 instance, 0 visits read, 0 new" in result.stdout
    assert "Zoom's report lists no participants" in result.stdout
    assert "Traceback" not in result.output
    with session_scope(runtime.engine) as session:
        assert session.exec(select(ZoomEvent)).all() == []


def test_insert_of_no_rows_writes_nothing(engine: Engine) -> None:
    """An empty executemany would run the INSERT once with defaults: every bulk write skips it."""
    with session_scope(engine) as session:
        assert insert_new(session=session, rows=[]) == []
        assert insert_events(session=session, rows=[]) == 0
    with session_scope(engine) as session:
        assert session.exec(select(ZoomEvent)).all() == []


def test_a_missing_report_scope_is_named(runtime: Runtime, fake_zoom: FakeZoom, invoke) -> None:  # type: ignore[no-untyped-def]
    serve_week1(fake_zoom)
    fake_zoom.withhold_scope("report:read:list_webinar_participants:admin")
    result = invoke("zoom", "backfill", "--week", "1")
    assert result.exit_code == 1
    assert (
        "week 1 webinar: Zoom refused /report/webinars/%252FW1%252F%252Fabc%252Bdef%253D%253D/participants: "
        "missing scope report:read:list_webinar_participants:admin (classic name report:read:admin)"
    ) in result.stderr
    assert "week 1 discussion (81234567891): 1 instance, 1 visits read, 1 new" in result.stdout
    assert len(fake_zoom.calls_to(WEBINAR_PATH)) == 1  # a scope is not a stale token: no refresh, no retry


def test_a_missing_instances_scope_is_named_not_taken_for_a_meeting(
    runtime: Runtime, fake_zoom: FakeZoom, invoke
) -> None:  # type: ignore[no-untyped-def]
    serve_week1(fake_zoom)
    fake_zoom.withhold_scope("webinar:read:list_past_instances:admin")
    result = invoke("zoom", "backfill", "--week", "1")
    assert result.exit_code == 1
    assert (
        "week 1 webinar: Zoom refused /past_webinars/81234567890/instances: missing scope " in result.stderr
    )
    assert "webinar:read:list_past_instances:admin (classic name webinar:read:admin)" in result.stderr
    assert "week 1 discussion (81234567891): 1 instance" in result.stdout  # a meeting needs no webinar scope
    fake_zoom.withhold_scope("meeting:read:list_past_instances:admin")
    both = invoke("zoom", "backfill", "--week", "1")
    assert (
        "missing scope webinar:read:list_past_instances:admin (if it is a webinar) or "
        "meeting:read:list_past_instances:admin (if it is a meeting)"
    ) in both.stderr


def test_scope_errors_as_zoom_words_them(fake_zoom: FakeZoom) -> None:
    """HTTP 400 or 401, code 4711; the scopes Zoom lists are alternatives; without a list, our table's."""
    serve_week1(fake_zoom)
    api = zoom_api(fake_zoom, [])
    fake_zoom.withhold_scope("meeting:read:list_past_instances:admin")
    with pytest.raises(ZoomApiError) as raised:
        api.get(f"/past_meetings/{DISCUSSION_ID}/instances")
    assert raised.value.status == 400
    assert raised.value.missing_scopes == ("meeting:read:list_past_instances:admin",)
    assert scopes_for("/report/meetings/abc/participants") == (
        "report:read:admin",
        "report:read:list_meeting_participants:admin",
    )
    assert scopes_for("/users/me") is None
