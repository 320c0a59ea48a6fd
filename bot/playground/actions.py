"""What a person does in the pretend Slack: type a command, press a button, submit a modal, open Home.

Each becomes the signed request Slack would send to the bot's `/slack/events`, over HTTP, and
the bot's HTTP answer (the ack) is shown as Slack shows it: a slash command's ack body as an
ephemeral reply, a submission's `response_action` in the modal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests

from bot.playground import slack_requests as slack
from bot.playground.demo import BY_ID, CHANNEL_NAMES, GENERAL_CHANNEL
from bot.playground.workspace import Message, Reply, View, dm_channel
from bot.playground.world import World

COMMANDS = ("/ask", "/reflect", "/standing", "/seminar")
SLACKBOT = "USLACKBOT"
TIMEOUT = 10.0
TROUBLE = {"response_action": "errors", "errors": {"": "We had some trouble connecting. Try again?"}}


class PlayError(Exception):
    """A request the playground cannot carry out; the message says why."""


def person(user: str) -> str:
    """A known person's id, or PlayError."""
    if user not in BY_ID:
        raise PlayError(f"unknown person {user!r}: pick an id from GET /playground/api/state")
    return user


def command(world: World, user: str, name: str, text: str, channel: str | None = None) -> dict[str, Any]:
    """A slash command typed in a channel (default #general) or in the bot's DM."""
    person(user)
    channel = channel or GENERAL_CHANNEL
    if channel not in CHANNEL_NAMES and channel != dm_channel(person(user)):
        raise PlayError(f"{user} can't type in {channel!r}: use a channel id or their own DM")
    if name not in COMMANDS:
        world.workspace.post(channel, f"`{name}` is not a valid command.", [], user=SLACKBOT, only_for=user)
        return {"status": None}
    ws = world.workspace
    trigger = ws.trigger(user)
    reply_to = f"{world.base_url}/slack/response/{ws.reply_url(Reply(user, channel))}"
    body = slack.slash_command(
        name, text, user=user, channel=channel, response_url=reply_to, trigger_id=trigger
    )
    world.note("slack", f"{BY_ID[user].name}: {name} {text}".rstrip())
    answer = _send(world, body, "application/x-www-form-urlencoded", trigger)
    if answer.status_code != 200:
        failed = f'{name} failed with the error "{_slack_error(answer)}"'
        ws.post(channel, failed, [], user=SLACKBOT, only_for=user)
    else:
        _show_ack(world, _ack_body(answer), user, channel)
    return {"status": answer.status_code}


def press(
    world: World, user: str, action_id: str, value: str | None = None, where: str | None = None
) -> dict[str, Any]:
    """Press the newest button `user` can see with this action_id (and value; on `where`, if given)."""
    found = _find_button(world, person(user), action_id, value, where)
    if found is None:
        raise PlayError(
            f"{BY_ID[user].name} sees no button {action_id!r}" + (f" with value {value!r}" if value else "")
        )
    surface, block_id, element = found
    ws = world.workspace
    trigger = ws.trigger(user)
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element.get("type", "button"),
        "text": element.get("text"),
        "value": element.get("value"),
    }
    message = surface if isinstance(surface, Message) else None
    reply_to = None
    if message is not None:
        reply_to = f"{world.base_url}/slack/response/{ws.reply_url(Reply(user, message.channel, message.id))}"
    view = surface if isinstance(surface, View) else None
    body = slack.block_action(
        user=user, action=action, trigger_id=trigger, response_url=reply_to, message=message, view=view
    )
    world.note("slack", f"{BY_ID[user].name} pressed “{(element.get('text') or {}).get('text', action_id)}”")
    return {"status": _send(world, body, "application/x-www-form-urlencoded", trigger).status_code}


def submit(world: World, user: str, typed: dict[str, str]) -> dict[str, Any]:
    """Submit the user's open modal with `typed` (block_id → text); show the bot's response_action."""
    ws = world.workspace
    view = ws.top_modal(person(user))
    if view is None:
        raise PlayError(f"{BY_ID[user].name} has no modal open")
    trigger = ws.trigger(user)
    body = slack.view_submission(
        user=user, view=view, values=slack.input_values(view, typed), trigger_id=trigger
    )
    world.note(
        "slack", f"{BY_ID[user].name} submitted “{(view.view.get('title') or {}).get('text', 'a form')}”"
    )
    answer = _send(world, body, "application/x-www-form-urlencoded", trigger)
    ack: dict[str, Any] = _ack_body(answer) if answer.status_code == 200 else dict(TROUBLE)
    action = ack.get("response_action")
    if action == "errors":
        view.errors = {str(k): str(v) for k, v in (ack.get("errors") or {}).items()}
        ws.changed()
    elif action == "update" and isinstance(ack.get("view"), dict):
        ws.update_view(view, ack["view"])
    elif action == "push" and isinstance(ack.get("view"), dict):
        ws.open_view(user, ack["view"], push=True)
    else:
        ws.close_modals(user, all_of_them=action == "clear")
    return {"status": answer.status_code, "ack": ack}


def close(world: World, user: str) -> dict[str, Any]:
    """Close the user's top modal with Cancel (the bot asks for no view_closed)."""
    world.workspace.close_modals(person(user), all_of_them=False)
    return {"status": None}


def open_home(world: World, user: str) -> dict[str, Any]:
    """Open the app's Home tab: Slack sends `app_home_opened`."""
    body = slack.app_home_opened(person(user), world.workspace.homes.get(user))
    world.note("slack", f"{BY_ID[user].name} opened the app's Home tab")
    return {"status": _send(world, body, "application/json", None).status_code}


def _send(world: World, body: bytes, content_type: str, trigger: str | None) -> requests.Response:
    """POST a signed request to the bot's /slack/events, as Slack would."""
    headers = slack.sign(world.secrets.slack_signing, body, content_type)
    if trigger:
        world.api.note_trigger(trigger)
    return requests.post(f"{world.base_url}/bot/slack/events", data=body, headers=headers, timeout=TIMEOUT)


def _ack_body(answer: requests.Response) -> dict[str, Any]:
    text = answer.text.strip()
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {"text": text}
    return loaded if isinstance(loaded, dict) else {"text": text}


def _show_ack(world: World, ack: dict[str, Any], user: str, channel: str) -> None:
    """A slash command's ack with text or blocks is a reply only the user sees (or all, in_channel)."""
    text, blocks = str(ack.get("text") or ""), ack.get("blocks") or []
    if not text and not blocks:
        return
    only_for = None if ack.get("response_type") == "in_channel" else user
    world.workspace.post(channel, text, blocks, only_for=only_for)


def _slack_error(answer: requests.Response) -> str:
    return "operation_timeout" if answer.status_code in (408, 504) else "dispatch_failed"


def _find_button(
    world: World, user: str, action_id: str, value: str | None, where: str | None
) -> tuple[Message | View, str, dict[str, Any]] | None:
    for surface in _surfaces(world, user):
        if where and where != (surface.id if isinstance(surface, Message) else _kind(world, surface)):
            continue
        blocks = surface.blocks if isinstance(surface, Message) else surface.view.get("blocks", [])
        for block in blocks:
            for element in _elements(block):
                if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                    return surface, str(block.get("block_id") or "b"), element
    return None


def _surfaces(world: World, user: str) -> Iterator[Message | View]:
    """What the user can see, newest first: their modal, their Home, then messages."""
    ws = world.workspace
    modal = ws.top_modal(user)
    if modal is not None:
        yield modal
    if user in ws.homes:
        yield ws.homes[user]
    for message in reversed(ws.messages):
        own_dm = message.channel == dm_channel(user)
        if (message.channel in CHANNEL_NAMES or own_dm) and message.only_for in (None, user):
            yield message


def _kind(world: World, view: View) -> str:
    return "home" if world.workspace.homes.get(view.user) is view else "modal"


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block.get("type") == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    accessory = block.get("accessory")
    return [accessory] if isinstance(accessory, dict) else []
