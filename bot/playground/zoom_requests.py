"""Pretend Zoom: the webinar and the discussion meeting, who is in them, and their signed webhooks.

Events are shaped like Zoom's own (`webinar.*` for the webinar, `meeting.*` for the discussion)
and signed as Zoom signs them: HMAC-SHA256 of `v0:{timestamp}:{body}` under the secret token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.playground.demo import DISCUSSION_ZOOM_ID, WEBINAR_ZOOM_ID, Person
from rules.course import Part

FAMILY = {"webinar": "webinar", "discussion": "meeting"}
ZOOM_ID = {"webinar": WEBINAR_ZOOM_ID, "discussion": DISCUSSION_ZOOM_ID}
TOPIC = {"webinar": "Seminar webinar", "discussion": "Seminar discussion"}


class ZoomRefused(Exception):
    """What Zoom would not let you do (join a meeting that has not started, …)."""


@dataclass
class Visit:
    """One stay in the room."""

    person: str
    joined: datetime
    left: datetime | None = None


@dataclass
class Room:
    """One instance of the webinar or the discussion, as Zoom's participant list shows it."""

    part: Part
    week: int
    uuid: str
    started: datetime
    ended: datetime | None = None
    visits: list[Visit] = field(default_factory=list)

    def inside(self) -> list[str]:
        """Who is in the room now (Slack ids)."""
        return sorted({v.person for v in self.visits if v.left is None})

    def minutes(self, now: datetime) -> dict[str, float]:
        """Each participant's minutes so far, as Zoom's report would add them up."""
        out: dict[str, float] = {}
        for v in self.visits:
            end = v.left or self.ended or now
            out[v.person] = out.get(v.person, 0.0) + max(0.0, (end - v.joined).total_seconds() / 60)
        return out

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The room for GET /playground/api/state."""
        minutes = self.minutes(now)
        return {
            "part": self.part,
            "week": self.week,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "inside": self.inside(),
            "minutes": {who: round(m, 1) for who, m in minutes.items()},
        }


def zulu(at: datetime) -> str:
    """Zoom's instant format."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lifecycle(room: Room, action: str, at: datetime) -> dict[str, Any]:
    """`{family}.started` / `.ended` for a room."""
    body = _event(room, action, at)
    if action == "ended":
        body["payload"]["object"]["end_time"] = zulu(at)
    return body


def visit(room: Room, person: Person, action: str, at: datetime) -> dict[str, Any]:
    """`{family}.participant_joined` / `_left` for one person."""
    body = _event(room, action, at)
    number = zlib.crc32(f"{person.slack_id}:{room.uuid}".encode()) % 10**8
    participant = {
        "user_id": str(16778240 + number),
        "user_name": person.zoom_name or person.name,
        "id": "" if person.role == "guest" else f"zu{person.slack_id.lower()}",
        "participant_user_id": "" if person.role == "guest" else f"zu{person.slack_id.lower()}",
        "participant_uuid": f"pu-{person.slack_id}-{room.uuid}",
        "email": "" if person.role == "guest" else (person.zoom_email or person.email),
        "registrant_id": f"reg-{person.slack_id.lower()}" if room.part == "webinar" else "",
    }
    if action == "participant_joined":
        participant["join_time"] = zulu(at)
    else:
        participant["leave_time"] = zulu(at)
        participant["leave_reason"] = f"{participant['user_name']} left the meeting."
    body["payload"]["object"]["participant"] = participant
    return body


def _event(room: Room, action: str, at: datetime) -> dict[str, Any]:
    return {
        "event": f"{FAMILY[room.part]}.{action}",
        "event_ts": int(at.timestamp() * 1000),
        "payload": {
            "account_id": "PLAYGROUNDACCT",
            "object": {
                "id": ZOOM_ID[room.part],
                "uuid": room.uuid,
                "host_id": "playgroundhost",
                "topic": TOPIC[room.part],
                "type": 5 if room.part == "webinar" else 8,
                "start_time": zulu(room.started),
                "duration": 60 if room.part == "webinar" else 30,
                "timezone": "America/Los_Angeles",
            },
        },
    }


def new_uuid() -> str:
    """A Zoom-style instance uuid (base64, ends in ==)."""
    return uuid.uuid4().hex[:22] + "=="


def raw(payload: dict[str, Any]) -> bytes:
    """Compact JSON with non-ASCII as raw UTF-8, as Zoom sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> dict[str, str]:
    """The headers of a signed Zoom webhook, stamped with the real time."""
    stamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": "v0=" + mac.hexdigest(),
    }
