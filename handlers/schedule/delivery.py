"""Posting scheduled messages to Slack: pacing under the rate limits and sorting out failures.

Slack allows about one message per second per channel and several hundred per minute per
workspace, with bursts, and answers 429 with `Retry-After` beyond that. The pacer keeps each
channel one second apart, caps the overall rate, and after a 429 holds every send until the
`Retry-After` has passed; the message that got the 429 is retried, never dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.slack.views.prompts import Message
from handlers.week_files import WeekFile

# Errors about the recipient: retrying will never help (chat.postMessage's documented errors).
PERMANENT = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
    }
)
# Errors about the app itself (its token, or its Messages tab, which every DM needs): every
# other send would fail the same way, so the run stops and the message waits for a later run.
CONFIG = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "account_inactive",
        "messages_tab_disabled",
    }
)

# What a TA can do about an error, shown next to it in the run's summary.
HINTS = {
    "not_in_channel": "invite the bot to the channel: /invite @seminar-bot",
    "channel_not_found": "check the channel id (course.toml) or the student's Slack id (roster)",
    "messages_tab_disabled": "enable the Messages tab in the Slack app's App Home settings",
    "user_not_found": "the student's Slack id is wrong: fix it in the roster",
    "account_inactive": "the bot token belongs to a deleted user or workspace: check SLACK_BOT_TOKEN",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "token_revoked": "the app was uninstalled or its token revoked: reinstall it, update SLACK_BOT_TOKEN",
    "missing_scope": "add the chat:write scope and reinstall the app",
}

# The overall cap: fast enough to use Slack's burst allowance before its first 429, after which
# everyone waits Retry-After. `make bench-fanout`: 1,000 DMs at 600/min took 1.37x the limit's
# minimum at 20/s and 1.16x at 60/s, nothing lost either way.
MAX_PER_SECOND = 60.0
HISTORY_PAGE = 200  # messages per conversations.history page (Tier 3: 50 pages a minute)
HISTORY_PAGES = 20  # how far back a file upload looks for an earlier share

Outcome = Literal["sent", "rate_limited", "transient", "unreachable", "permanent", "config"]


@dataclass(frozen=True)
class Delivery:
    """What one chat.postMessage came to."""

    outcome: Outcome
    channel: str | None = None
    ts: str | None = None
    error: str = ""
    retry_after: float = 0.0


def post(client: WebClient, channel: str, message: Message, **options: Any) -> Delivery:
    """One chat.postMessage, its failures classified (never raises for Slack or network trouble)."""
    try:
        response = client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks or None, unfurl_links=False, **options
        )
    except SlackApiError as exc:
        return _classify(exc)
    except (SlackClientError, OSError) as exc:
        return Delivery("unreachable", error=f"cannot reach Slack: {type(exc).__name__}")
    return Delivery("sent", channel=response.get("channel"), ts=response.get("ts"))


def upload(client: WebClient, channel: str, file: WeekFile, comment: str, since: datetime) -> Delivery:
    """One files_upload_v2 into the channel, its failures classified like a post's.

    The channel is looked through first (back to `since`): a 5xx or a dropped connection may come
    after Slack shared the file, and the retry must not share it twice.
    """
    found = find_file(client, channel, file, since)
    if found is not None:
        return found
    try:
        client.files_upload_v2(
            channel=channel,
            content=file.content,
            filename=file.filename,
            title=file.title,
            initial_comment=comment,
        )
    except SlackApiError as exc:
        return _classify(exc)
    except (SlackClientError, OSError) as exc:
        return Delivery("unreachable", error=f"cannot reach Slack: {type(exc).__name__}")
    return Delivery("sent", channel=channel)


def search_history(
    client: WebClient,
    channel: str,
    since: datetime,
    match: Callable[[dict[str, Any]], bool],
    pages: int,
    **options: Any,
) -> str | None:
    """The ts of the first message since `since` that `match`es, "" when the history ends without
    one, None when `pages` pages were read without reaching its end. Slack's errors propagate."""
    cursor = ""
    for _ in range(pages):
        history = client.conversations_history(
            channel=channel, oldest=f"{since.timestamp():.6f}", limit=HISTORY_PAGE, cursor=cursor or None,
            **options,
        )  # fmt: skip
        for message in history.get("messages") or []:
            if match(message):
                return str(message.get("ts"))
        cursor = str((history.get("response_metadata") or {}).get("next_cursor") or "")
        if not history.get("has_more") or not cursor:
            return ""
    return None


def find_file(client: WebClient, channel: str, file: WeekFile, since: datetime) -> Delivery | None:
    """Sent if a message since `since` shares this file (its name and the bot's title, so a TA's
    own upload of the CLI's output doesn't count); a non-sent Delivery if we can't tell."""
    try:
        found = search_history(
            client, channel, since, lambda m: any(_same(f, file) for f in m.get("files") or []), HISTORY_PAGES
        )
    except SlackApiError as exc:
        return _classify(exc)
    except (SlackClientError, OSError) as exc:
        return Delivery("unreachable", error=f"cannot reach Slack: {type(exc).__name__}")
    if found is None:
        error = f"could not look through {HISTORY_PAGES} pages for {file.filename}"
        return Delivery("transient", error=error)
    return Delivery("sent", channel=channel, ts=found) if found else None


def _same(shared: object, file: WeekFile) -> bool:
    """A shared file (as history lists it) with this file's name and title."""
    if not isinstance(shared, dict):
        return False
    return (shared.get("name"), shared.get("title")) == (file.filename, file.title)


def _classify(exc: SlackApiError) -> Delivery:
    status = exc.response.status_code
    code = str(exc.response.get("error") or f"HTTP {status}")
    error = f"{code} ({HINTS[code]})" if code in HINTS else code
    if status == 429:
        return Delivery("rate_limited", error=error, retry_after=retry_after_seconds(exc.response.headers))
    if status >= 500:
        return Delivery("transient", error=f"Slack answered {status} ({code})")
    if code in CONFIG:
        return Delivery("config", error=error)
    if code in PERMANENT:
        return Delivery("permanent", error=error)
    return Delivery("transient", error=error)


def retry_after_seconds(headers: dict[str, object]) -> float:
    """Slack's Retry-After in seconds (1 when missing or unreadable)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(str(raw)))
            except ValueError:
                break
    return 1.0


class Pacer:
    """When the next post may go: one second apart per channel, a rate cap, and 429 pauses."""

    def __init__(
        self,
        per_second: float = MAX_PER_SECOND,
        channel_gap: float = 1.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / per_second
        self.channel_gap = channel_gap
        self.clock = clock
        self._next = 0.0
        self._paused_until = 0.0
        self._last: dict[str, float] = {}

    def ready_at(self, channel: str) -> float:
        """The monotonic instant a post to `channel` may start."""
        return max(self._next, self._paused_until, self._last.get(channel, -1e9) + self.channel_gap)

    def delay(self, channel: str) -> float:
        """Seconds to wait before posting to `channel`."""
        return max(0.0, self.ready_at(channel) - self.clock())

    def posted(self, channel: str) -> None:
        """A post to `channel` just finished (the gap counts from here, after Slack saw it)."""
        now = self.clock()
        self._last[channel] = now
        self._next = max(self._next, now + self.interval)

    def rate_limited(self, retry_after: float) -> None:
        """Slack said 429: nobody posts until Retry-After has passed."""
        self._paused_until = max(self._paused_until, self.clock() + retry_after)

    def wait(self, channel: str, stop: threading.Event) -> bool:
        """Sleep until `channel` may be posted to; False if asked to stop meanwhile."""
        pause = self.delay(channel)
        if pause > 0:
            return not stop.wait(pause)
        return not stop.is_set()
