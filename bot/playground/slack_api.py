"""The playground's own Slack Web API: the bot's WebClient (base_url) and response_urls land here.

It answers the methods the bot calls the way Slack documents them (errors included: an unknown
channel, a stale trigger_id, a view hash conflict) and writes what they show into the Workspace.
It never forwards anything to Slack.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.playground.demo import BY_ID, CHANNEL_NAMES
from bot.playground.workspace import Workspace, dm_channel

TRIGGER_SECONDS = 3.0  # Slack's trigger_ids expire after 3 seconds
Answer = dict[str, Any]


class SlackApi:
    """Method handlers over one Workspace; `token` is the only bot token accepted."""

    def __init__(self, workspace: Workspace, token: str, base_url: str) -> None:
        self.ws, self.token, self.base_url = workspace, token, base_url
        self._trigger_born: dict[str, float] = {}
        self.methods: dict[str, Callable[[dict[str, Any]], Answer]] = {
            "auth.test": lambda _: {"ok": True, "user_id": "U0PGBOT01", "team_id": "T0PLAY"},
            "chat.postMessage": self.post_message,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.update": self.update_message,
            "conversations.history": self.history,
            "views.open": lambda a: self.open_view(a, push=False),
            "views.push": lambda a: self.open_view(a, push=True),
            "views.update": self.update_view,
            "views.publish": self.publish,
            "users.info": self.user_info,
            "users.lookupByEmail": self.user_info,
            "files.getUploadURLExternal": self.upload_url,
            "files.completeUploadExternal": self.complete_upload,
        }

    def note_trigger(self, trigger_id: str) -> None:
        """A trigger_id was just handed to the bot; its 3 seconds start now."""
        self._trigger_born[trigger_id] = time.monotonic()

    # -- HTTP ------------------------------------------------------------------------------
    async def api(self, request: Request) -> Response:
        """One Web API call: check the token, parse the arguments, run the method."""
        args = dict(request.query_params)
        args.update(_parse(await request.body(), request.headers.get("content-type", "")))
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or args.get("token")
        if token != self.token:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        method = self.methods.get(request.path_params["method"])
        if method is None:
            return JSONResponse({"ok": False, "error": "unknown_method"})
        return JSONResponse(method(args))

    async def response_url(self, request: Request) -> Response:
        """A respond() from the bot: a new ephemeral or in-channel message, or an edit of the original."""
        reply = self.ws.replies.get(request.path_params["token"])
        if reply is None:
            return JSONResponse({"ok": False, "error": "expired_url"}, status_code=404)
        body = _parse(await request.body(), request.headers.get("content-type", ""))
        text, blocks = str(body.get("text") or ""), _json(body.get("blocks")) or []
        original = self.ws.find(reply.source) if reply.source else None
        if original is not None and _true(body.get("delete_original")):
            self.ws.delete(original)
        elif original is not None and _true(body.get("replace_original")):
            self.ws.replace(original, text, blocks)
        elif body.get("response_type") == "in_channel":
            self.ws.post(reply.channel, text, blocks)
        else:
            self.ws.post(reply.channel, text, blocks, only_for=reply.user)
        return PlainTextResponse("ok")

    async def upload(self, request: Request) -> Response:
        """The file bytes, sent to the upload_url files.getUploadURLExternal gave out."""
        entry = self.ws.files.get(request.path_params["file_id"])
        if entry is None:
            return PlainTextResponse("not found", status_code=404)
        entry["content"] = await request.body()
        entry["size"] = len(entry["content"])
        return PlainTextResponse(f"OK - {entry['size']}")

    async def download(self, request: Request) -> Response:
        """An uploaded file, for the page's link (shown as text: the bot uploads CSV)."""
        entry = self.ws.files.get(request.path_params["file_id"])
        if entry is None or "content" not in entry:
            return PlainTextResponse("not found", status_code=404)
        return Response(entry["content"], media_type="text/plain; charset=utf-8")

    # -- methods ---------------------------------------------------------------------------
    def post_message(self, args: dict[str, Any]) -> Answer:
        """chat.postMessage: a channel the bot is in, or a user (their DM)."""
        channel = self._conversation(str(args.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        text, blocks = str(args.get("text") or ""), _json(args.get("blocks")) or []
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        metadata = _json(args.get("metadata"))
        message = self.ws.post(
            channel, text, blocks, metadata=metadata if isinstance(metadata, dict) else None
        )
        return {"ok": True, "channel": channel, "ts": message.id, "message": {"text": text, "ts": message.id}}

    def history(self, args: dict[str, Any]) -> Answer:
        """conversations.history: newest first, from `oldest`, metadata when asked for."""
        channel = self._conversation(str(args.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        oldest, limit = float(args.get("oldest") or 0), int(args.get("limit") or 100)
        with self.ws.lock:
            found = [m for m in self.ws.messages if m.channel == channel and not m.only_for]
        found = [m for m in reversed(found) if float(m.id) >= oldest][:limit]
        metadata = _true(args.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [
                {"type": "message", "user": m.user, "ts": m.id, "text": m.text}
                | ({"metadata": m.metadata} if metadata and m.metadata else {})
                for m in found
            ],
            "has_more": False,
        }

    def post_ephemeral(self, args: dict[str, Any]) -> Answer:
        """chat.postEphemeral: visible to one user in one channel."""
        channel, user = self._conversation(str(args.get("channel", ""))), str(args.get("user", ""))
        if channel is None or user not in BY_ID:
            return {"ok": False, "error": "channel_not_found" if channel is None else "user_not_in_channel"}
        text, blocks = str(args.get("text") or ""), _json(args.get("blocks")) or []
        return {"ok": True, "message_ts": self.ws.post(channel, text, blocks, only_for=user).id}

    def update_message(self, args: dict[str, Any]) -> Answer:
        """chat.update: edit one of the bot's own messages."""
        message = self.ws.find(str(args.get("ts", "")))
        if message is None or message.only_for or message.channel != args.get("channel"):
            return {"ok": False, "error": "message_not_found"}
        text, blocks = str(args.get("text") or ""), _json(args.get("blocks")) or []
        self.ws.replace(message, text, blocks)
        return {"ok": True, "channel": message.channel, "ts": message.id, "text": text}

    def open_view(self, args: dict[str, Any], *, push: bool) -> Answer:
        """views.open / views.push: needs a trigger_id no older than 3 seconds, used once."""
        trigger_id = str(args.get("trigger_id", ""))
        user = self.ws.triggers.pop(trigger_id, None)
        born = self._trigger_born.pop(trigger_id, None)
        if user is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if born is not None and time.monotonic() - born > TRIGGER_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        view = _json(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        opened = self.ws.open_view(user, view, push=push)
        return {"ok": True, "view": {**view, "id": opened.id, "hash": opened.hash}}

    def update_view(self, args: dict[str, Any]) -> Answer:
        """views.update: by view_id, refusing a stale hash as Slack does."""
        target = self.ws.find_view(str(args.get("view_id", "")))
        if target is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != target.hash:
            return {"ok": False, "error": "hash_conflict"}
        view = _json(args.get("view"))
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        self.ws.update_view(target, view)
        return {"ok": True, "view": {**view, "id": target.id, "hash": target.hash}}

    def publish(self, args: dict[str, Any]) -> Answer:
        """views.publish: a user's Home tab."""
        user, view = str(args.get("user_id", "")), _json(args.get("view"))
        if user not in BY_ID:
            return {"ok": False, "error": "user_not_found"}
        if not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        home = self.ws.publish_home(user, view)
        return {"ok": True, "view": {**view, "id": home.id, "hash": home.hash}}

    def user_info(self, args: dict[str, Any]) -> Answer:
        """users.info by id, users.lookupByEmail by email (any case)."""
        email = str(args.get("email", "")).lower()
        person = BY_ID.get(str(args.get("user", ""))) or next(
            (p for p in BY_ID.values() if email and p.email == email), None
        )
        if person is None:
            return {"ok": False, "error": "users_not_found" if email else "user_not_found"}
        profile = {"email": person.email, "real_name": person.name, "display_name": person.handle}
        user = {"id": person.slack_id, "name": person.handle, "real_name": person.name, "profile": profile}
        return {"ok": True, "user": {**user, "is_bot": False, "deleted": False}}

    def upload_url(self, args: dict[str, Any]) -> Answer:
        """files.getUploadURLExternal: where to send the bytes."""
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self.ws.new_id("F")
        self.ws.files[file_id] = {
            "id": file_id,
            "name": str(args["filename"]),
            "title": str(args["filename"]),
        }
        return {"ok": True, "upload_url": f"{self.base_url}/slack/upload/{file_id}", "file_id": file_id}

    def complete_upload(self, args: dict[str, Any]) -> Answer:
        """files.completeUploadExternal: share the uploaded files in a channel, with a comment."""
        listed = _json(args.get("files")) or []
        files = [self.ws.files.get(str(f.get("id"))) for f in listed if isinstance(f, dict)]
        if not files or any(f is None or "content" not in f for f in files):
            return {"ok": False, "error": "file_not_found"}
        shared = [{**{k: v for k, v in f.items() if k != "content"}} for f in files if f]
        channel = self._conversation(str(args.get("channel_id", "")))
        if channel is not None:
            self.ws.post(channel, str(args.get("initial_comment") or ""), [], files=shared)
        return {"ok": True, "files": shared}

    def _conversation(self, channel: str) -> str | None:
        if channel in CHANNEL_NAMES:
            return channel
        if channel in BY_ID:
            return dm_channel(channel)
        return channel if channel.startswith("D") and "U" + channel[1:] in BY_ID else None


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    """A JSON or form body as a dict (Slack accepts both)."""
    text = raw.decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        loaded = json.loads(text or "{}")
        return loaded if isinstance(loaded, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _json(value: Any) -> Any:
    """Blocks, views and file lists arrive as JSON strings in form bodies, as objects in JSON ones."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
