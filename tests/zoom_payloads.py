"""Zoom webhook bodies built from Zoom's own samples (tests/samples/zoom), re-dated for the course."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from tests.signing import zoom_headers

SAMPLES = Path(__file__).parent / "samples" / "zoom"
WEBINAR_ID = "81234567890"
DISCUSSION_ID = "81234567891"


@cache
def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of one sample file."""
    return copy.deepcopy(_sample(name))


def zulu(at: datetime) -> str:
    """Zoom's instant format."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(family: str, action: str, zoom_id: str, uuid: str, at: datetime) -> dict[str, Any]:
    body = sample(f"{family}.{action}")
    obj = body["payload"]["object"]
    obj.update(id=zoom_id, uuid=uuid, start_time=zulu(at))
    body["event_ts"] = int(at.timestamp() * 1000)
    return body


def lifecycle(family: str, action: str, zoom_id: str, uuid: str, at: datetime) -> dict[str, Any]:
    """`{family}.started` / `.ended` at `at`."""
    body = _event(family, action, zoom_id, uuid, at)
    if action == "ended":
        body["payload"]["object"]["end_time"] = zulu(at)
        body["payload"]["object"].pop("practice_session", None)
    return body


def visit(
    family: str,
    action: str,
    zoom_id: str,
    uuid: str,
    at: datetime,
    *,
    user_id: str,
    name: str,
    email: str = "",
    registrant_id: str = "",
    zoom_user_id: str = "",
) -> dict[str, Any]:
    """`{family}.participant_joined` / `_left` for one participant at `at`."""
    body = _event(family, action, zoom_id, uuid, at)
    person = body["payload"]["object"]["participant"]
    person.update(
        user_id=user_id,
        participant_uuid=f"pu-{user_id}",
        user_name=name,
        email=email,
        registrant_id=registrant_id,
        id=zoom_user_id,
        participant_user_id=zoom_user_id,
    )
    person.pop("join_time", None)
    person.pop("leave_time", None)
    person["join_time" if action == "participant_joined" else "leave_time"] = zulu(at)
    return body


def raw(payload: dict[str, Any]) -> bytes:
    """Compact JSON with non-ASCII as raw UTF-8, as Zoom sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post(http: httpx.Client, payload: dict[str, Any] | bytes, **sign: Any) -> httpx.Response:
    """POST a signed delivery to /zoom/webhook."""
    body = payload if isinstance(payload, bytes) else raw(payload)
    return http.post("/zoom/webhook", content=body, headers=zoom_headers(body, **sign))
