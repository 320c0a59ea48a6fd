"""The pretend Slack workspace: channels, DMs, ephemeral replies, Home tabs, modals and files.

The fake Web API (`slack_api.py`) writes into it; the page and `GET /playground/api/state` read
it. Every change bumps `version`, so a reader can wait for the next change.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.playground.demo import BY_ID, CHANNEL_NAMES

BOT_ID = "U0PGBOT01"
BOT_NAME = "seminar-bot"


def dm_channel(user_id: str) -> str:
    """The bot's DM conversation with a user (Slack answers a post to `U…` with its `D…` id)."""
    return "D" + user_id[1:]


@dataclass
class Message:
    """One message as Slack would show it; `only_for` marks an ephemeral one."""

    id: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    at: str
    only_for: str | None = None
    edited: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None


@dataclass
class Reply:
    """Where a response_url's messages go: who it answers, in which channel, about which message."""

    user: str
    channel: str
    source: str | None = None


@dataclass
class View:
    """A modal or Home view the bot opened, published or updated."""

    id: str
    hash: str
    user: str
    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


class Workspace:
    """All the state one Slack workspace would hold for this app, behind one lock."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.version = 0
        self.messages: list[Message] = []
        self.homes: dict[str, View] = {}
        self.modals: dict[str, list[View]] = {}
        self.triggers: dict[str, str] = {}
        self.replies: dict[str, Reply] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._seq = itertools.count(1)

    # -- writing ---------------------------------------------------------------------------
    def changed(self) -> None:
        """Something a reader can see changed."""
        with self.lock:
            self.version += 1

    def new_id(self, prefix: str = "") -> str:
        """A unique Slack-style ts (or prefixed id)."""
        n = next(self._seq)
        return f"{prefix}{n:06d}" if prefix else f"{int(time.time())}.{n:06d}"

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], **extra: Any) -> Message:
        """Add a message (the bot's unless `user` is given) and return it."""
        extra.setdefault("user", BOT_ID)
        message = Message(
            id=self.new_id("e" if extra.get("only_for") else ""),
            channel=channel,
            text=text,
            blocks=blocks,
            at=self.clock().isoformat(),
            **extra,
        )
        with self.lock:
            self.messages.append(message)
        self.changed()
        return message

    def find(self, message_id: str) -> Message | None:
        """A message (ephemeral or not) by its id."""
        with self.lock:
            return next((m for m in self.messages if m.id == message_id), None)

    def replace(self, message: Message, text: str, blocks: list[dict[str, Any]]) -> None:
        """Edit a message in place, as chat.update and replace_original do."""
        with self.lock:
            message.text, message.blocks, message.edited = text, blocks, True
        self.changed()

    def delete(self, message: Message) -> None:
        """Remove a message, as delete_original does."""
        with self.lock:
            self.messages = [m for m in self.messages if m is not message]
        self.changed()

    def trigger(self, user: str) -> str:
        """A fresh trigger_id for an interaction by `user` (views.open needs one)."""
        trigger_id = f"{self.new_id('')}.{user}"
        with self.lock:
            self.triggers[trigger_id] = user
        return trigger_id

    def reply_url(self, reply: Reply) -> str:
        """A token for a new response_url answering `reply.user`."""
        token = self.new_id("r")
        with self.lock:
            self.replies[token] = reply
        return token

    def open_view(self, user: str, view: dict[str, Any], *, push: bool) -> View:
        """Open (or push) a modal for the user."""
        opened = View(self.new_id("V"), self.new_id("h"), user, view)
        with self.lock:
            stack = self.modals.setdefault(user, [])
            if not push:
                stack.clear()
            stack.append(opened)
        self.changed()
        return opened

    def find_view(self, view_id: str) -> View | None:
        """An open modal or a Home view by its id."""
        with self.lock:
            views = [v for stack in self.modals.values() for v in stack] + list(self.homes.values())
        return next((v for v in views if v.id == view_id), None)

    def update_view(self, target: View, view: dict[str, Any]) -> None:
        """Replace a view's content, giving it a new hash."""
        with self.lock:
            target.view, target.hash, target.errors = view, self.new_id("h"), {}
        self.changed()

    def close_modals(self, user: str, *, all_of_them: bool = True) -> None:
        """Close the user's top modal (or every one), as a submission's empty ack does."""
        with self.lock:
            stack = self.modals.get(user, [])
            if all_of_them:
                stack.clear()
            elif stack:
                stack.pop()
        self.changed()

    def top_modal(self, user: str) -> View | None:
        """The modal the user sees, if any."""
        with self.lock:
            stack = self.modals.get(user) or []
            return stack[-1] if stack else None

    def publish_home(self, user: str, view: dict[str, Any]) -> View:
        """Set the user's App Home tab."""
        with self.lock:
            home = self.homes.get(user)
            if home is None:
                home = self.homes[user] = View(self.new_id("V"), self.new_id("h"), user, view)
            else:
                home.view, home.hash = view, self.new_id("h")
        self.changed()
        return home

    # -- reading ---------------------------------------------------------------------------
    def conversations(self) -> list[dict[str, Any]]:
        """Every channel, then every person's DM with the bot, with its messages in order."""
        with self.lock:
            messages = [asdict(m) for m in self.messages]
        out: list[dict[str, Any]] = [
            {"id": cid, "name": f"#{name}", "kind": "channel", "messages": []}
            for cid, name in CHANNEL_NAMES.items()
        ]
        out += [
            {"id": dm_channel(uid), "name": p.name, "kind": "dm", "with": uid, "messages": []}
            for uid, p in BY_ID.items()
        ]
        by_id = {c["id"]: c for c in out}
        for message in messages:
            conversation = by_id.get(message["channel"])
            if conversation is not None:
                conversation["messages"].append(message)
        return out

    def snapshot(self) -> dict[str, Any]:
        """The whole workspace as the page shows it (JSON-ready)."""
        with self.lock:
            homes = {u: v.view for u, v in self.homes.items()}
            modals = {u: [_view_json(v) for v in stack] for u, stack in self.modals.items() if stack}
            files = {fid: {k: v for k, v in f.items() if k != "content"} for fid, f in self.files.items()}
            version = self.version
        return {
            "version": version,
            "bot": {"id": BOT_ID, "name": BOT_NAME},
            "conversations": self.conversations(),
            "homes": homes,
            "modals": modals,
            "files": files,
        }


def _view_json(view: View) -> dict[str, Any]:
    return {"id": view.id, "view": json.loads(json.dumps(view.view)), "errors": dict(view.errors)}
