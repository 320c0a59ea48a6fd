"""A fake Slack Web API (as slack-bolt's own tests use), recording every call.

Point a real `slack_sdk.WebClient(base_url=fake.api_url)` at it. It answers the methods the bot
uses, serves response_url and file-upload URLs, and can inject 429s, 5xx, Slack errors, delays
and per-channel/workspace rate limits.

Like Slack, `views.open` answers `expired_trigger_id` for a trigger id issued more than 3 s ago
(the tests' trigger ids start with the nanosecond they were made), and the `views.*` methods
answer `invalid_arguments` for a view Block Kit refuses (over 100 blocks, a title over 24
characters, …), checked with slack_sdk's own models.

Like Slack, it may act on a request whose answer the client never sees: a `landed` fault posts
the message and then answers 5xx (or drops the connection), and a slow call (`slow`) is still
processed after the client has given up waiting. Posted messages are kept per channel, with
their metadata, and `conversations.history` returns them.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.fakes.http import FakeServer, QuietHandler
from tests.fakes.slack_socket import FakeSlackSocket

BOT_USER_ID = "UBOT0001"
TEAM_NAME = "Seminar Workspace"
DEFAULT_SCOPES = "chat:write,commands"
TRIGGER_SECONDS = 3.0  # how long Slack accepts a trigger_id for views.open


@dataclass
class Call:
    """One request the fake received."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    raw: bytes = b""


@dataclass
class Fault:
    """An injected failure for the next `times` calls of a method (to `channel`, if given).

    `landed`: Slack acts on the request before the failure (a 5xx or a drop after processing).
    `drop`: the connection closes with no answer. `delay`: seconds before anything happens.
    """

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1
    landed: bool = False
    drop: bool = False
    delay: float = 0.0
    channel: str | None = None

    @property
    def answers_ok(self) -> bool:
        """Only slow: processed and answered normally (if the client still listens)."""
        return self.status == 200 and self.error is None and not self.drop


class FakeSlack(FakeServer):
    """The fake Slack Web API server and its recorded calls."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.api_url = self.url + "/api/"
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.oauth_scopes = DEFAULT_SCOPES
        self.faults: dict[str, list[Fault]] = {}
        self.delays: dict[str, float] = {}
        self.uploads: dict[str, bytes] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, list[dict[str, Any]]] = {}
        self.upload_names: dict[str, str] = {}  # file id -> its filename (files.getUploadURLExternal)
        self.file_shares: dict[str, list[dict[str, Any]]] = {}  # history only: posted() lists posts
        self.per_channel_per_second: float | None = None
        self.workspace_per_minute: int | None = None
        self._ts = itertools.count(1)
        self._last_post: dict[str, float] = {}
        self._posts: list[float] = []
        self.changed = threading.Condition(self.lock)
        self.socket = FakeSlackSocket()

    def start(self) -> Any:
        """Serve the Web API and the Socket Mode endpoint; returns self."""
        self.socket.start()
        return super().start()

    def stop(self) -> None:
        """Stop both servers."""
        super().stop()
        self.socket.stop()

    # -- set-up -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget calls, users, faults and limits (between tests)."""
        with self.lock:
            self.calls.clear()
            self.users.clear()
            self.channels.clear()
            self.oauth_scopes = DEFAULT_SCOPES
            self.faults.clear()
            self.delays.clear()
            self.uploads.clear()
            self.messages.clear()
            self.files.clear()
            self.file_shares.clear()
            self.upload_names.clear()
            self.per_channel_per_second = None
            self.workspace_per_minute = None
            self._last_post.clear()
            self._posts.clear()
        self.socket.reset()

    def add_user(self, user_id: str, email: str, name: str = "", is_bot: bool = False) -> None:
        """A workspace member that users.info and users.lookupByEmail know."""
        self.users[user_id] = {
            "id": user_id,
            "name": name or email.split("@")[0],
            "real_name": name,
            "is_bot": is_bot,
            "deleted": False,
            "profile": {"email": email, "real_name": name, "display_name": name},
        }

    def add_channel(
        self, channel_id: str, name: str, *, is_member: bool = True, is_private: bool = False
    ) -> None:
        """A channel conversations.info knows; Slack hides a private one from a bot outside it."""
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_private": is_private,
            "is_archived": False,
            "is_member": is_member,
        }

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        landed: bool = False,
        drop: bool = False,
        channel: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail (HTTP status and/or Slack error, or a drop)."""
        fault = Fault(status, error, retry_after, times, landed=landed, drop=drop, channel=channel)
        self.faults.setdefault(method, []).append(fault)

    def slow(self, method: str, seconds: float, *, channel: str | None = None, times: int = 1) -> None:
        """The next `times` calls take `seconds`, and are then processed even if the client gave up."""
        fault = Fault(times=times, landed=True, delay=seconds, channel=channel)
        self.faults.setdefault(method, []).append(fault)

    # -- inspection ---------------------------------------------------------------------
    def posted(self, channel: str) -> list[dict[str, Any]]:
        """The messages that landed in a channel, oldest first."""
        with self.lock:
            return list(self.messages.get(channel, []))

    def calls_to(self, method: str, channel: str | None = None) -> list[Call]:
        """Recorded calls of one method (e.g. 'chat.postMessage' or 'response_url'), maybe to one channel."""
        with self.lock:
            return [c for c in self.calls if _matches(c, method, channel)]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, channel: str | None = None
    ) -> list[Call]:
        """Block until at least `count` calls of `method` (to `channel`, if given) arrived; return them."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                calls = [c for c in self.calls if _matches(c, method, channel)]
                if len(calls) >= count:
                    return calls
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} {method} call(s), got {len(calls)}: "
                        f"{[c.method for c in self.calls]}"
                    )
                self.changed.wait(left)

    # -- behaviour ----------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self.changed:
            self.calls.append(call)
            self.changed.notify_all()

    def _take_fault(self, method: str, body: dict[str, Any]) -> Fault | None:
        with self.lock:
            queue = self.faults.get(method) or []
            fault = next((f for f in queue if f.channel in (None, body.get("channel"))), None)
            if fault is None:
                return None
            fault.times -= 1
            if fault.times <= 0:
                queue.remove(fault)
            return fault

    def _rate_limited(self, method: str, body: dict[str, Any]) -> int | None:
        """Seconds to wait when a post would break the configured limits, else None."""
        if method != "chat.postMessage":
            return None
        now = time.monotonic()
        with self.lock:
            channel = str(body.get("channel", ""))
            if self.per_channel_per_second is not None:
                last = self._last_post.get(channel)
                if last is not None and now - last < 1.0 / self.per_channel_per_second:
                    return 1
            if self.workspace_per_minute is not None:
                self._posts = [t for t in self._posts if now - t < 60]
                if len(self._posts) >= self.workspace_per_minute:
                    return max(1, int(60 - (now - self._posts[0])) + 1)
                self._posts.append(now)
            self._last_post[channel] = now
        return None

    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """The success payload for a method."""
        ts = f"{int(time.time())}.{next(self._ts):06d}"  # Slack's ts: the posting time, unique
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://seminar-workspace.slack.com/",
                "team": TEAM_NAME,
                "user": "seminar-bot",
                "team_id": "T0TEAM",
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
            }
        if method == "conversations.info":
            found = self._find_channel(str(body.get("channel", "")))
            if found is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": found}
        if method == "chat.postMessage":
            return self._store_message(body, ts)
        if method == "conversations.history":
            return self._history(body)
        if method == "chat.update":
            return self._update_message(body)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            if method == "views.open" and _trigger_expired(str(body.get("trigger_id", ""))):
                return {"ok": False, "error": "expired_trigger_id"}
            if not valid_view(view):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "view": {**view, "id": "V0VIEW", "hash": "h1"}}
        if method in ("users.info", "users.lookupByEmail"):
            user = self._find_user(method, body)
            return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            self.upload_names[file_id] = str(body.get("filename", ""))
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._share_files(body, ts)
        return {"ok": True}

    def connections_open(self, authorization: str) -> dict[str, Any]:
        """Socket Mode: a WebSocket URL for an app-level token (`xapp-`), as Slack answers."""
        token = authorization.removeprefix("Bearer ").strip()
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type" if token else "not_authed"}
        return {"ok": True, "url": self.socket.ticket_url()}

    def _find_channel(self, channel_id: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id)
        if channel is None or (channel["is_private"] and not channel["is_member"]):
            return None
        return channel

    def _store_message(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        """chat.postMessage: the message lands in its channel (a user id means their DM)."""
        channel = str(body.get("channel", ""))
        if channel.startswith(("U", "W")):
            channel = "D" + channel[1:]
        metadata = body.get("metadata")
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        message = {"type": "message", "user": BOT_USER_ID, "ts": ts, "text": body.get("text")}
        if body.get("blocks"):
            message["blocks"] = _json(body["blocks"])
        if metadata:
            message["metadata"] = metadata
        with self.lock:
            self.messages.setdefault(str(body.get("channel", "")), []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}

    def _update_message(self, body: dict[str, Any]) -> dict[str, Any]:
        """chat.update: the channel's message with that ts gets the new text and blocks."""
        channel, ts = str(body.get("channel", "")), str(body.get("ts", ""))
        with self.lock:
            found = [m for m in self.messages.get(channel, []) if m["ts"] == ts]
            for message in found:
                message["text"] = body.get("text")
                if body.get("blocks"):
                    message["blocks"] = _json(body["blocks"])
        return {"ok": True, "channel": channel, "ts": ts}

    def _share_files(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        """files.completeUploadExternal: the uploaded files appear in the channel, with the comment,
        as one message in its history (`files`: id, name, title), as Slack shows a file share."""
        files = _json(body.get("files") or "[]")
        channel = str(body.get("channel_id", ""))
        names = self.upload_names
        shown = [{"id": f["id"], "name": names.get(str(f["id"]), ""), "title": f.get("title")} for f in files]
        share = {"type": "message", "user": BOT_USER_ID, "ts": ts, "text": body.get("initial_comment") or "",
                 "files": shown}  # fmt: skip
        with self.lock:
            for f in files:
                content = self.uploads.get(str(f.get("id")), b"").decode("utf-8", "replace")
                entry = {"id": f.get("id"), "title": f.get("title"), "content": content}
                entry["comment"] = body.get("initial_comment")
                self.files.setdefault(channel, []).append(entry)
            self.file_shares.setdefault(channel, []).append(share)
        return {"ok": True, "files": files}

    def shared(self, channel: str) -> list[dict[str, Any]]:
        """The files shared in a channel (id, title, content, comment), oldest first."""
        with self.lock:
            return list(self.files.get(channel, []))

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first after `oldest`, a page per `cursor`; metadata if asked for."""
        oldest = float(body.get("oldest") or 0)
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in reversed(self._with_shares(str(body.get("channel", ""))))
            if float(m["ts"]) > oldest
        ]
        limit = int(body.get("limit") or 100)
        start = int(base64.b64decode(str(body.get("cursor") or "MA==")))  # Slack's cursors are opaque
        page, more = messages[start : start + limit], len(messages) > start + limit
        cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}

    def _with_shares(self, channel: str) -> list[dict[str, Any]]:
        """The channel's posts and file shares, oldest first."""
        with self.lock:
            both = [*self.messages.get(channel, []), *self.file_shares.get(channel, [])]
        return sorted(both, key=lambda m: float(m["ts"]))

    def _find_user(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if method == "users.info":
            return self.users.get(str(body.get("user", "")))
        email = str(body.get("email", "")).lower()
        return next((u for u in self.users.values() if u["profile"]["email"].lower() == email), None)


class _Handler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Read methods (conversations.history) as slack_sdk sends them: a query string."""
        path, _, query = self.path.partition("?")
        self._api(path.removeprefix("/api/"), _parse(query.encode()), b"")

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        raw = self.read_body()
        path = self.path.split("?")[0]
        if path.startswith("/upload/"):
            fake.uploads[path.rsplit("/", 1)[1]] = raw
            fake._record(Call("upload", {"file_id": path.rsplit("/", 1)[1]}, dict(self.headers), raw=raw))
            self._plain(200, b"OK")
            return
        if path.startswith("/response/"):
            self._response_url(raw)
            return
        self._api(path.removeprefix("/api/"), _parse(raw), raw)

    def _response_url(self, raw: bytes) -> None:
        """A reply to a response_url: shown to the user, unless a fault stops it first."""
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        fault = fake._take_fault("response_url", {})
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is None or fault.landed:
            fake._record(Call("response_url", _parse(raw), dict(self.headers), raw=raw))
        if fault is not None and fault.drop:
            self.close_connection = True
        elif fault is not None and not fault.answers_ok:
            self._plain(fault.status if fault.status != 200 else 500, b"fatal_error")
        else:
            self._plain(200, b"ok")

    def _api(self, method: str, body: dict[str, Any], raw: bytes) -> None:
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        call = Call(method, body, dict(self.headers), raw=raw)
        fault = fake._take_fault(method, body)
        delay = fault.delay if fault is not None and fault.delay else fake.delays.get(method)
        if delay:
            time.sleep(delay)
        if fault is not None and not fault.landed:
            fake._record(call)
            self._fail(fault)
            return
        if method == "apps.connections.open":
            fake._record(call)
            self.send_json(200, fake.connections_open(self.headers.get("Authorization", "")))
            return
        wait = fake._rate_limited(method, body)
        if wait is not None:
            fake._record(call)
            self.send_json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)})
            return
        answer = fake.answer(method, body)
        fake._record(call)  # after Slack acted: whoever waits for the call sees its effect
        if fault is not None and not fault.answers_ok:
            self._fail(fault)  # Slack acted, then the answer failed
            return
        self.send_json(200, answer, {"x-oauth-scopes": fake.oauth_scopes})

    def _fail(self, fault: Fault) -> None:
        """The fault's answer: a dropped connection, or its status and Slack error."""
        if fault.drop:
            self.close_connection = True
            return
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        error = fault.error or ("ratelimited" if fault.status == 429 else "fatal_error")
        self.send_json(fault.status, {"ok": False, "error": error}, headers)

    def _plain(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _matches(call: Call, method: str, channel: str | None) -> bool:
    return call.method == method and (channel is None or call.body.get("channel") == channel)


def _json(value: Any) -> Any:
    """A JSON argument as slack_sdk sends it: a string in a form body, a value in a JSON body."""
    return json.loads(value) if isinstance(value, str) else value


def _parse(raw: bytes) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        loaded = json.loads(text)
        return loaded if isinstance(loaded, dict) else {"_": loaded}
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(text).items()}


def _trigger_expired(trigger_id: str) -> bool:
    """A trigger id made more than TRIGGER_SECONDS ago (ids not made by the tests never expire)."""
    issued = trigger_id.split(".", 1)[0]
    if not issued.isdigit() or len(issued) < 18:
        return False
    return time.time() - int(issued) / 1e9 > TRIGGER_SECONDS


def valid_view(view: dict[str, Any]) -> bool:
    """Whether Block Kit takes the view: slack_sdk's models enforce Slack's documented limits."""
    try:
        View(**view).validate_json()
        for block in view.get("blocks") or []:
            parsed = Block.parse(block)
            if parsed is None:
                return False
            parsed.validate_json()
    except (SlackObjectFormationError, TypeError, KeyError, ValueError):
        return False
    return True
