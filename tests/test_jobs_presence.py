"""Absence notices follow Zoom presence: signed webhooks in, a notice only for the part missed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.due import NOTICE_NO_LINK
from storage.db import session_scope
from storage.models import Reflection
from storage.records import class_record
from tests.conftest import Live
from tests.factories import local
from tests.scheduling import dms, enrol, posts, run
from tests.signing import zoom_headers

WEEK2 = {
    "webinar": (local(2021, 9, 30, 13, 30), "81234567890"),
    "discussion": (local(2021, 9, 30, 14, 30), "81234567891"),
}
MINUTES = {"webinar": 60, "discussion": 30}


def _event(part: str, action: str, name: str, email: str, at: datetime) -> dict[str, Any]:
    start, zoom_id = WEEK2[part]
    kind = "webinar" if part == "webinar" else "meeting"
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    field = "join_time" if action == "joined" else "leave_time"
    return {
        "event": f"{kind}.participant_{action}",
        "event_ts": int(at.timestamp() * 1000),
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": zoom_id,
                "uuid": f"{part}-week2==",
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "CS 528",
                "type": 5 if kind == "webinar" else 8,
                "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timezone": "America/Los_Angeles",
                "participant": {
                    "user_id": f"u-{email}",
                    "user_name": name,
                    "id": f"id-{email}",
                    field: stamp,
                    "email": email,
                },
            },
        },
    }


def _attend(live: Live, name: str, email: str, parts: tuple[str, ...]) -> None:
    for part in parts:
        start, _ = WEEK2[part]
        end = start + timedelta(minutes=MINUTES[part])
        for action, at in (("joined", start), ("left", end)):
            body = json.dumps(_event(part, action, name, email, at)).encode()
            reply = live.http.post("/zoom/webhook", content=body, headers=zoom_headers(body))
            assert reply.status_code == 200, reply.text


def test_only_the_missed_part_is_named_and_attendees_get_no_notice(live: Live) -> None:
    engine, course, settings = live.runtime.engine, live.runtime.course, live.runtime.settings
    people = enrol(engine, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    with session_scope(engine) as session:
        for s in people.values():
            session.add(Reflection(student_id=s.id, week=2, text="a. b.", sentences=2))
    _attend(live, "Ada", "ada@example.edu", ("webinar", "discussion"))
    _attend(live, "Bob", "bob@example.edu", ("webinar",))
    after = local(2021, 9, 30, 15, 15)
    with session_scope(engine) as session:
        weeks = {
            r.student.name: r.weeks[1]
            for r in class_record(session=session, course=course, now=after).students
        }
    assert not weeks["Ada"].absent and weeks["Bob"].absent  # presence guards what follows
    summary = run(engine, course, settings, after)
    assert dms(summary).get(NOTICE_NO_LINK) == 1
    [notice] = [c for c in posts(live.slack, "U0BOB") if "not counted present" in c.body["text"]]
    assert "at the discussion of Week 2" in notice.body["text"]
    assert not [c for c in posts(live.slack, "U0ADA") if "not counted present" in c.body["text"]]
