"""Slack's HTTP edge: verify a request before anything reads it, then parse its body field by field."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltContext, BoltRequest
from slack_bolt.request import payload_utils
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from bot.slack_shape import problem

# Slack's timestamp is Unix seconds; bounding the digits keeps int() cheap and refuses nonsense.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class MalformedBody(ValueError):
    """A verified body that is not a Slack request: not UTF-8, not JSON, or not a JSON object."""


def verified(signing_secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Slack's signature check (slack_sdk's), answering False instead of raising for any input.

    `SignatureVerifier.is_valid` calls `int()` on the timestamp and `hmac.compare_digest` on the
    signature as sent, so a non-numeric timestamp or a non-ASCII signature raises; here they are
    simply not verified, and nothing downstream ever sees the request.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not signing_secret or not _TIMESTAMP.fullmatch(timestamp) or not signature.isascii():
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False  # Slack signs UTF-8 text; Bolt could not verify anything else
    return SignatureVerifier(signing_secret).is_valid(text, timestamp, signature)


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """JSON as JSON; a form's `payload` field (interactivity) when it has one, else its fields.

    slack-bolt's own parser treats any form containing the substring `payload` as interactivity
    (slack_bolt/request/internals.py), so a command whose text, channel or user name holds the word
    reached no listener.
    """
    if not text:
        return {}
    try:
        if content_type == "application/json" or text.startswith("{"):
            parsed: Any = json.loads(text)
        else:
            fields = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except ValueError as exc:
        raise MalformedBody(str(exc)) from exc
    if not isinstance(parsed, dict):
        raise MalformedBody("the body is not a JSON object")
    return parsed


# What Bolt derives from every body before any listener runs: its context and each listener
# argument (slack_bolt/kwargs_injection/utils.py); each indexes the body unchecked.
_BOLT_READS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def readable(body: dict[str, Any], context: BoltContext) -> BoltContext:
    """Bolt's context for a body both we and Bolt can read, or MalformedBody saying why not.

    `slack_shape.problem` names what our listeners need; whatever else Bolt itself cannot read
    (an `event.user` that is a number, an `interactive_message` without actions) is refused here,
    once, for HTTP and Socket Mode alike, instead of failing inside Bolt with a 500.
    """
    why = problem(body)
    if why:
        raise MalformedBody(why)
    try:
        for read in _BOLT_READS:
            read(body)
        return build_context(context, body)
    except (TypeError, AttributeError, LookupError, ValueError) as exc:
        raise MalformedBody(f"a field Slack always sends is missing or mistyped ({exc!r:.80})") from None


class SlackRequest(BoltRequest):
    """A BoltRequest whose body is read by `parse_body` and checked by `readable`.

    Bolt still verifies the raw body; a body of the wrong shape raises MalformedBody here, before
    Bolt's matchers and its error handler index into it.
    """

    def __init__(
        self,
        *,
        body: str,
        query: str | Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(body="", query=query, headers=dict(headers or {}), context=context)  # type: ignore[arg-type]
        self.raw_body = body
        self.body = parse_body(body, self.content_type)
        self.context = readable(self.body, BoltContext(context or {}))

    def to_copyable(self) -> SlackRequest:
        """A copy for another thread, parsed the same way (Bolt's copy would reparse with its own)."""
        return SlackRequest(
            body=self.raw_body, query=self.query, headers=self.headers, context=self.context.to_copyable()
        )
