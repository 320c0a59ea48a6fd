"""Client-level retries that can never post anything twice.

slack_sdk's built-in connection and 5xx handlers resend any request, but a `chat.postMessage` or
file upload whose first attempt got a 5xx, timed out or lost its connection after sending may
already have landed. Here the client retries only what is provably safe: a request that never
left (connection refused, no such host), and methods that only read or set a state to a fixed
value. A 429 is left to slack_sdk's RateLimitErrorRetryHandler: Slack did not act on it.
Everything else is the caller's (the outbox's) to retry, after looking (README "Scheduled messages").
"""

from __future__ import annotations

import socket
from http.client import RemoteDisconnected
from ssl import SSLContext
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient, WebhookResponse

# Repeating one of these changes nothing the first attempt did not.
IDEMPOTENT = frozenset(
    {
        "auth.test",
        "users.info",
        "users.lookupByEmail",
        "conversations.history",
        "conversations.info",
        "views.publish",
        "chat.update",
    }
)
SERVER_ERRORS = frozenset({500, 502, 503, 504})


def method_of(request: HttpRequest) -> str:
    """The Web API method a request calls ('' for a URL that is not one, e.g. a file upload)."""
    path = urlparse(request.url).path
    return path.rsplit("/api/", 1)[1] if "/api/" in path else ""


def never_sent(error: Exception) -> bool:
    """The request provably did not reach Slack: the connection was refused or the host unknown."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class SafeConnectionRetry(RetryHandler):
    """Retries a connection error when nothing was sent, or when the method is idempotent."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is None or response is not None:
            return False
        if never_sent(error):
            return True
        connection = isinstance(error, URLError | ConnectionResetError | RemoteDisconnected | TimeoutError)
        return connection and method_of(request) in IDEMPOTENT


class IdempotentServerErrorRetry(RetryHandler):
    """Retries a 5xx only for idempotent methods: a 5xx may come after Slack acted."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code in SERVER_ERRORS
            and method_of(request) in IDEMPOTENT
        )


class OnceRespond(Respond):
    """Bolt's `respond`, minus the resend of a reply whose connection dropped after sending.

    Bolt's own posts through a WebhookClient that retries every connection error, so a reply
    that landed before the connection dropped would be shown twice. `sent` counts the replies
    Slack accepted, so the error handler knows whether the user heard anything.
    """

    def __init__(self, *, response_url: str | None, proxy: str | None = None, ssl: SSLContext | None = None):
        super().__init__(response_url=response_url, proxy=proxy, ssl=ssl)
        self.sent = 0

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        """Post one reply to `response_url` (ValueError when the request had none)."""
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = _build_message(**text) if isinstance(text, dict) else _build_message(text=text, **fields)
        client = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            retry_handlers=[SafeConnectionRetry(max_retry_count=1)],
        )
        response = client.send_dict(message)
        if 200 <= response.status_code < 300:
            self.sent += 1
        return response
