"""Requests as Slack sends them: form bodies, Slack's escaping of typed text, and the signature.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 under the app's signing secret and
escapes `&`, `<` and `>` in slash-command text; with "escape channels, users, and links"
(`should_escape`) a picked user arrives as `<@U…|name>` and a link as `<https://…>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from bot.playground.demo import BY_ID, CHANNEL_NAMES
from bot.playground.workspace import Message, View

TEAM = {"id": "T0PLAY", "domain": "playground"}
APP_ID = "A0PLAY"
ESCAPED_COMMANDS = frozenset({"/seminar"})  # where a TA picks students from the autocomplete
_MENTION = re.compile(r"(?<![\w<])@([a-z0-9._-]+)", re.IGNORECASE)
_LINK = re.compile(r"(?<![<|])\b(https?://[^\s<>]+)")


def sign(secret: str, body: bytes, content_type: str) -> dict[str, str]:
    """The headers of a signed Slack request, stamped with the real time (Slack's rule)."""
    stamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": "v0=" + mac.hexdigest(),
    }


def escape_typed(command: str, text: str) -> str:
    """Slash-command text as Slack delivers what the person typed."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if command not in ESCAPED_COMMANDS:
        return escaped
    handles = {p.handle.lower(): p for p in BY_ID.values()}

    def mention(m: re.Match[str]) -> str:
        person = handles.get(m.group(1).lower())
        return f"<@{person.slack_id}|{person.handle}>" if person else m.group(0)

    return _LINK.sub(r"<\1>", _MENTION.sub(mention, escaped))


def slash_command(
    command: str, text: str, *, user: str, channel: str, response_url: str, trigger_id: str
) -> bytes:
    """A slash-command form body, field for field as Slack sends it."""
    fields = {
        "token": "playground-verification-token",
        "team_id": TEAM["id"],
        "team_domain": TEAM["domain"],
        "channel_id": channel,
        "channel_name": CHANNEL_NAMES.get(channel, "directmessage"),
        "user_id": user,
        "user_name": BY_ID[user].handle,
        "command": command,
        "text": escape_typed(command, text),
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields).encode()


def block_action(
    *,
    user: str,
    action: dict[str, Any],
    trigger_id: str,
    response_url: str | None,
    message: Message | None = None,
    view: View | None = None,
) -> bytes:
    """A block_actions payload for a button in a message (ephemeral or not), a modal or Home."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "playground-verification-token",
        "team": TEAM,
        "trigger_id": trigger_id,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        "state": {"values": {}},
    }
    if message is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message.id,
            "channel_id": message.channel,
            "is_ephemeral": message.only_for is not None,
        }
        payload["channel"] = {
            "id": message.channel,
            "name": CHANNEL_NAMES.get(message.channel, "directmessage"),
        }
        if message.only_for is None:
            payload["message"] = {
                "type": "message",
                "user": "U0PGBOT01",
                "ts": message.id,
                "text": message.text,
                "blocks": message.blocks,
            }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.id}
        payload["view"] = {**view.view, "id": view.id, "hash": view.hash}
    if response_url:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission(*, user: str, view: View, values: dict[str, dict[str, Any]], trigger_id: str) -> bytes:
    """A view_submission payload: the modal as opened, with the typed values in `state`."""
    payload = {
        "type": "view_submission",
        "team": TEAM,
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "playground-verification-token",
        "trigger_id": trigger_id,
        "view": {**view.view, "id": view.id, "hash": view.hash, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def app_home_opened(user: str, home: View | None) -> bytes:
    """An Events API `app_home_opened` delivery for the Home tab."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    if home is not None:
        event["view"] = {**home.view, "id": home.id, "hash": home.hash}
    envelope = {
        "token": "playground-verification-token",
        "team_id": TEAM["id"],
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
    }
    return json.dumps(envelope).encode()


def input_values(view: View, typed: dict[str, str]) -> dict[str, dict[str, Any]]:
    """`view.state.values` for a submission: every input block, with what was typed into it."""
    values: dict[str, dict[str, Any]] = {}
    for block in view.view.get("blocks", []):
        element = block.get("element") or {}
        if block.get("type") != "input" or "action_id" not in element:
            continue
        value = typed.get(block.get("block_id", ""), element.get("initial_value"))
        values[block["block_id"]] = {element["action_id"]: _picked(str(element.get("type")), value)}
    return values


def _picked(kind: str, value: str | None) -> dict[str, Any]:
    """One input's state as Slack sends it: a user picker's user id, a select's option, or the text."""
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "static_select":
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        return {"type": kind, "selected_option": option}
    return {"type": kind, "value": value}


def _user(user: str) -> dict[str, str]:
    person = BY_ID[user]
    return {"id": user, "username": person.handle, "name": person.handle, "team_id": TEAM["id"]}
