"""Zoom's wire format: webhook signatures, and webhook events or report/CSV visits as zoom_events rows."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage.zoom_store import NewZoomEvent, column_limit

# Zoom documents no tolerance. Retries (+5/+25/+85 min) may keep the first attempt's timestamp,
# and a replayed event is harmless (it dedups to nothing), so the past is generous and only
# clock skew is allowed into the future.
MAX_AGE_SECONDS = 3 * 3600
MAX_FUTURE_SECONDS = 5 * 60
# Moving into a breakout room is a `participant_left` of the main room; the breakout events
# carry the same join_time/leave_time fields, so time spent in a breakout room still counts.
KINDS = {
    "participant_joined": "join",
    "participant_left": "leave",
    "participant_joined_breakout_room": "join",
    "participant_left_breakout_room": "leave",
    "started": "start",
    "ended": "end",
}
# Which field tells one participant's visits apart: user_id is in every join/leave payload.
PARTICIPANT_KEYS = (
    "user_id",
    "participant_uuid",
    "participant_user_id",
    "id",
    "registrant_id",
    "email",
    "user_name",
)
TIME_FIELD = {"join": "join_time", "leave": "leave_time", "start": "start_time", "end": "end_time"}


class BadEvent(ValueError):
    """A signed body we cannot use; answered 400 (Zoom never retries it)."""


def signature(secret: str, timestamp: str, raw: bytes) -> str:
    """`v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{raw body bytes}`, as Zoom signs."""
    return "v0=" + hmac.digest(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, "sha256").hex()


def signature_problem(secret: str, headers: Mapping[str, str], raw: bytes, now: float) -> str | None:
    """Why this delivery is not authentically Zoom's and fresh, or None when it is."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = lower.get("x-zm-request-timestamp", "").strip()
    given = lower.get("x-zm-signature", "").strip()
    if not stamp or not given:
        return "missing x-zm-signature or x-zm-request-timestamp header"
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:  # "²".isdigit(), yet int() refuses it
        return "x-zm-request-timestamp is not Unix seconds"
    if not hmac.compare_digest(signature(secret, stamp, raw).encode(), given.encode("utf-8", "replace")):
        return "x-zm-signature does not match the body"
    age = now - int(stamp)
    if age > MAX_AGE_SECONDS or -age > MAX_FUTURE_SECONDS:
        return f"x-zm-request-timestamp {stamp} is outside the accepted window"
    return None


def url_validation(secret: str, payload: dict[str, Any]) -> dict[str, str]:
    """Zoom's endpoint check: the plainToken back with its HMAC-SHA256 hex."""
    inner = payload.get("payload")
    token = inner.get("plainToken") if isinstance(inner, dict) else None
    if not isinstance(token, str) or not token or len(token) > 512:
        raise BadEvent("endpoint.url_validation without a plainToken")
    encrypted = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": token, "encryptedToken": encrypted}


def event_row(
    payload: dict[str, Any], raw: str, received_at: datetime, source: str = "webhook"
) -> NewZoomEvent:
    """One webhook (or WebSocket) body as a zoom_events row; unknown events become kind `other`."""
    event = payload.get("event")
    if not isinstance(event, str) or not event.strip():
        raise BadEvent('the body has no "event" name')
    obj = _dict(_dict(payload.get("payload")).get("object"))
    person = _dict(obj.get("participant"))
    kind = _kind(event)
    event_ts = _event_ts(payload.get("event_ts"))
    at = _instant(kind, obj, person, event_ts)
    uuid = _text(obj.get("uuid"), "instance_uuid")
    who = next(filter(None, (_text(person.get(k), "participant_key") for k in PARTICIPANT_KEYS)), "")
    visit = kind in ("join", "leave")
    participant_key = _clip(f"{uuid}|{who}", "participant_key") if visit else ""
    if kind == "other" or at is None:
        dedup = _digest("raw", raw)  # a redelivery carries the same body
    else:
        dedup = _digest(event, uuid, who if visit else _zoom_id(obj.get("id")), kind, at.isoformat())
    return _zoom_event(
        dedup_key=dedup,
        source=source,
        event=event.strip(),
        event_ts=event_ts,
        zoom_id=obj.get("id"),
        instance_uuid=uuid,
        kind=kind,
        at=at,
        participant_key=participant_key,
        who=(
            person.get("user_name"),
            person.get("email"),
            person.get("registrant_id"),
            person.get("participant_user_id") or person.get("id"),
        ),
        body=raw,
        received_at=received_at,
    )


@dataclass(frozen=True)
class Attendance:
    """One visit from a participant report or a portal CSV: who, and from when to when."""

    name: str
    email: str
    join: datetime
    leave: datetime
    registrant_id: str = ""
    zoom_user_id: str = ""
    raw: str = ""


def attendance_rows(
    visit: Attendance, *, source: str, zoom_id: str, instance_uuid: str, received_at: datetime
) -> list[NewZoomEvent]:
    """A visit as a join row and a leave row sharing one synthetic participant key.

    The key and dedup keys depend only on the visit, so importing the same report or CSV
    again inserts nothing.
    """
    who = (visit.name, visit.email.lower(), visit.registrant_id, visit.zoom_user_id)
    key = (
        f"{source}:"
        + _digest(zoom_id, instance_uuid, *who, visit.join.isoformat(), visit.leave.isoformat())[:48]
    )
    return [
        _zoom_event(
            dedup_key=_digest(key, kind),
            source=source,
            event=f"{source}.{kind}",
            zoom_id=zoom_id,
            instance_uuid=instance_uuid,
            kind=kind,
            at=at,
            participant_key=key,
            who=(visit.name, visit.email, visit.registrant_id, visit.zoom_user_id),
            body=visit.raw,
            received_at=received_at,
        )
        for kind, at in (("join", visit.join), ("leave", visit.leave))
    ]


def _zoom_event(
    *,
    dedup_key: str,
    source: str,
    event: str,
    zoom_id: object,
    instance_uuid: str,
    kind: str,
    at: datetime | None,
    participant_key: str,
    who: tuple[object, object, object, object],
    body: str,
    received_at: datetime,
    event_ts: int | None = None,
) -> NewZoomEvent:
    """The one place a zoom_events row is built: texts cleaned and cut to their columns, ids unspaced."""
    name, email, registrant_id, zoom_user_id = who
    return NewZoomEvent(
        dedup_key=dedup_key,
        source=source,
        event=_clip(event, "event"),
        event_ts=event_ts,
        zoom_id=_zoom_id(zoom_id),
        instance_uuid=_text(instance_uuid, "instance_uuid"),
        kind=kind,
        at=at,
        participant_key=participant_key,
        user_name=_text(name, "user_name"),
        email=_text(email, "email"),
        registrant_id=_text(registrant_id, "registrant_id"),
        zoom_user_id=_text(zoom_user_id, "zoom_user_id"),
        body=_clean(body),
        received_at=received_at,
    )


def _instant(kind: str, obj: dict[str, Any], person: dict[str, Any], event_ts: int | None) -> datetime | None:
    """The payload's own time for this kind (join_time, leave_time, start_time, end_time), else event_ts."""
    if kind == "other":
        return None
    source = person if kind in ("join", "leave") else obj
    at = parse_instant(source.get(TIME_FIELD[kind]))
    if at is None and event_ts is not None:
        at = datetime.fromtimestamp(event_ts / 1000, UTC)
    return at


def _kind(event: str) -> str:
    family, _, action = event.strip().partition(".")
    return KINDS.get(action, "other") if family in ("webinar", "meeting") else "other"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()


def _clean(text: str) -> str:
    """No NULs (PostgreSQL refuses them) and no lone surrogates (not encodable)."""
    if text.isascii() and "\x00" not in text:  # most fields: nothing to clean, and cheap to see
        return text
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _clip(text: str, column: str) -> str:
    limit = column_limit(column)
    return text[:limit] if limit else text


def _text(value: object, column: str) -> str:
    """Strings as given, numbers as digits, anything else as empty; cut to the column's size."""
    if type(value) is str:  # what a JSON string is: most fields, so it skips the checks below
        return _clip(_clean(value).strip(), column)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float | str):
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return _clip(_clean(text).strip(), column)
    return ""


def _zoom_id(value: object) -> str:
    """Zoom ids arrive as strings or numbers, sometimes spaced like `812 3456 7890`."""
    return _text(value, "zoom_id").replace(" ", "")


def _event_ts(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**14:
        return value
    return None


def parse_instant(value: object) -> datetime | None:
    """Zoom's ISO-8601 instants (`…Z`, with or without fractions); naive means UTC."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if not 1970 <= parsed.year <= 9998:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
