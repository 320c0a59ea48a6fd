"""Sign requests exactly as Slack and Zoom do: HMAC-SHA256 over `v0:{ts}:{raw body}`."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

SLACK_SECRET = "slack-signing-secret-for-tests"
ZOOM_SECRET = "zoom-webhook-secret-for-tests"


def _sign(secret: str, ts: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return "v0=" + mac.hexdigest()


def slack_headers(
    body: bytes,
    *,
    secret: str = SLACK_SECRET,
    ts: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack sends with a signed request."""
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": _sign(secret, stamp, body),
    }


def zoom_headers(body: bytes, *, secret: str = ZOOM_SECRET, ts: int | None = None) -> dict[str, str]:
    """Headers Zoom sends with a signed webhook."""
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": _sign(secret, stamp, body),
    }


MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
# What Slack turns into a link when escaping is on: a URL, or an email address.
_LINKABLE = re.compile(r"(https?://[^\s<>|]+)|([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


@dataclass(frozen=True)
class Pick:
    """A user (`U…`) or channel (`C…`) the person picked from Slack's autocomplete."""

    id: str
    name: str


def escape(text: str) -> str:
    """Slack's entities for the three characters it escapes in every text it sends."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.cache
def should_escape(command: str) -> bool:
    """The command's `should_escape` in manifest.yml (Slack's default, false, for any other)."""
    commands = yaml.safe_load(MANIFEST.read_text())["features"]["slash_commands"]
    return any(c["command"] == command and c.get("should_escape", False) for c in commands)


def slack_text(typed: str | Sequence[str | Pick], *, escaped: bool) -> str:
    """The `text` Slack sends for what a person typed and picked, as Slack's docs describe.

    Always `&`, `<`, `>` as entities. With escaping on, a picked user is `<@U…|name>`, a channel
    `<#C…|name>`, a URL `<https://…>` and an email `<mailto:a@b|a@b>`; with it off, the plain
    text the person saw (`@name`, `#name`).
    """
    parts = [typed] if isinstance(typed, str) else typed
    out: list[str] = []
    for part in parts:
        if isinstance(part, Pick):
            sigil = "@" if part.id.startswith(("U", "W")) else "#"
            out.append(f"<{sigil}{part.id}|{escape(part.name)}>" if escaped else sigil + escape(part.name))
        elif escaped:
            out.append(_linked(part))
        else:
            out.append(escape(part))
    return "".join(out)


def _linked(typed: str) -> str:
    """Typed text with escaping on: URLs and emails become Slack links, the rest entities."""
    out, at = [], 0
    for m in _LINKABLE.finditer(typed):
        url, email = m.group(1), m.group(2)
        link = f"<{escape(url)}>" if url else f"<mailto:{escape(email)}|{escape(email)}>"
        out += [escape(typed[at : m.start()]), link]
        at = m.end()
    return "".join(out) + escape(typed[at:])


def slash_body(
    command: str,
    text: str | Sequence[str | Pick],
    *,
    escaped: bool | None = None,
    user_id: str,
    response_url: str,
    channel_id: str = "C0CLASS",
    trigger_id: str | None = None,
    channel_name: str = "class",
    user_name: str | None = None,
) -> bytes:
    """A slash-command form body shaped like Slack's: `text` is what the person typed and picked.

    The text is sent as Slack sends it (`slack_text`), escaped as manifest.yml asks unless
    `escaped` says otherwise.
    """
    wire = slack_text(text, escaped=should_escape(command) if escaped is None else escaped)
    fields = {
        "token": "verification_token",
        "team_id": "T0TEAM",
        "team_domain": "seminar",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_id.lower() if user_name is None else user_name,
        "command": command,
        "text": wire,
        "api_app_id": "A0APP",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{time.time_ns()}.1.abc",
    }
    return urlencode(fields).encode()


def payload_body(payload: dict[str, Any]) -> bytes:
    """An interactivity body: `payload=<json>` form-encoded, as Slack sends it."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict[str, Any], *, event_id: str = "Ev0001") -> bytes:
    """An Events API `event_callback` JSON body."""
    envelope = {
        "token": "verification_token",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
    }
    return json.dumps(envelope).encode()
