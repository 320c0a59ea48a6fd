"""A careful layer over a zoomus client: every page, a token refresh on 401, back-off on 429.

zoomus returns raw responses and has no pagination, refresh or rate-limit handling, so each
GET goes through `ZoomApi.get`, which turns every failure into a ZoomApiError a TA can act on.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests

logger = logging.getLogger(__name__)
PAGE_SIZE = 300
# Every call the bot makes, with the scope it needs: (path pattern, classic, granular). The README's
# Zoom section lists the same table.
SCOPES = (
    (
        re.compile(r"^/past_webinars/[^/]+/instances$"),
        "webinar:read:admin",
        "webinar:read:list_past_instances:admin",
    ),
    (
        re.compile(r"^/past_meetings/[^/]+/instances$"),
        "meeting:read:admin",
        "meeting:read:list_past_instances:admin",
    ),
    (
        re.compile(r"^/report/webinars/[^/]+/participants$"),
        "report:read:admin",
        "report:read:list_webinar_participants:admin",
    ),
    (
        re.compile(r"^/report/meetings/[^/]+/participants$"),
        "report:read:admin",
        "report:read:list_meeting_participants:admin",
    ),
)
# Zoom answers a token without the scope with code 4711 (HTTP 400, sometimes 401):
# "Invalid access token, does not contain scopes:[a:b:admin, a:b]."
SCOPE_ERROR_CODE = 4711
SCOPE_FIX = (
    "add it to the Server-to-Server OAuth app's Scopes in the Zoom Marketplace and activate the app again"
)
SCOPE_LIST = re.compile(r"does not contain scopes?:\s*\[([^\]]*)\]")


class ZoomApiError(Exception):
    """Zoom could not give us what we asked for; the message says why and what to do."""

    def __init__(self, message: str, status: int | None = None, missing_scopes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.missing_scopes = missing_scopes


def encode_uuid(uuid: str) -> str:
    """A path segment for an instance uuid: double-encoded when it starts with / or has //."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


class ZoomApi:
    """GETs through the zoomus client's `get_request` (it adds the Bearer token)."""

    def __init__(
        self,
        client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 60.0,
        retries: int = 5,
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.max_wait = max_wait
        self.retries = retries

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One JSON object; refreshes an expired token once and waits out 429s."""
        refreshed = False
        for attempt in range(self.retries + 1):
            response = self._send(path, params or {})
            status = response.status_code
            if status >= 400:
                _raise_if_missing_scope(path, response)
            if status == 401 and not refreshed:
                self._refresh()
                refreshed = True
            elif status == 429 and attempt < self.retries:
                self._back_off(response, attempt)
            elif status >= 400:
                raise ZoomApiError(_failure(path, response), status)
            else:
                return _json(path, response)
        raise ZoomApiError(f"Zoom kept answering 429 (rate limited) for {path}; try again later", 429)

    def pages(self, path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item under `key` across all pages (`next_page_token` until it comes back empty)."""
        token = ""
        while True:
            query = {"page_size": PAGE_SIZE, **(params or {})}
            if token:
                query["next_page_token"] = token
            body = self.get(path, query)
            items = body.get(key) or []
            yield from (item for item in items if isinstance(item, dict))
            token = str(body.get("next_page_token") or "")
            if not token:
                return

    def _send(self, path: str, params: dict[str, Any]) -> requests.Response:
        try:
            response: requests.Response = self.client.report.get_request(path, params=params)
        except requests.RequestException as exc:
            raise ZoomApiError(
                f"cannot reach the Zoom API ({type(exc).__name__}); check ZOOM_API_URL"
            ) from None
        return response

    def _refresh(self) -> None:
        logger.info("Zoom token rejected; fetching a new one")
        try:
            self.client.refresh_token()
        except (requests.RequestException, ValueError) as exc:
            raise ZoomApiError(
                f"cannot get a new Zoom token ({type(exc).__name__}); check ZOOM_OAUTH_URL"
            ) from None

    def _back_off(self, response: requests.Response, attempt: int) -> None:
        wait = _retry_after(response.headers.get("Retry-After"), attempt)
        if wait > self.max_wait:
            raise ZoomApiError(
                f"Zoom's rate limit is reached for about {wait / 60:.0f} minutes; try again later", 429
            )
        logger.info("Zoom rate limit (429); waiting %.1f s", wait)
        self.sleep(wait)


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds from Retry-After (seconds or an HTTP date), else exponential back-off."""
    if value:
        if value.strip().isdigit():
            return float(value.strip())
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    return float(2**attempt)


def _json(path: str, response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ZoomApiError(f"Zoom answered {path} with something that is not JSON") from None
    if not isinstance(body, dict):
        raise ZoomApiError(f"Zoom answered {path} with unexpected JSON")
    return body


def scopes_for(path: str) -> tuple[str, str] | None:
    """The (classic, granular) scope a GET of this path needs, or None for a path we never call."""
    bare = path.split("?")[0]
    return next(((classic, granular) for rx, classic, granular in SCOPES if rx.match(bare)), None)


def _raise_if_missing_scope(path: str, response: requests.Response) -> None:
    """Zoom's scope refusal, worded as the scope to add (Zoom names it; else our table does)."""
    try:
        body = response.json()
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    listed = SCOPE_LIST.search(str(body.get("message", "")))
    if body.get("code") != SCOPE_ERROR_CODE and not listed:
        return
    known = scopes_for(path)
    named = tuple(s.strip() for s in listed.group(1).split(",") if s.strip()) if listed else ()
    missing = named or ((known[1],) if known else ())
    classic = f" (classic name {known[0]})" if known else ""
    raise ZoomApiError(
        f"Zoom refused {path}: missing scope {' or '.join(missing) or '(not named)'}{classic}; {SCOPE_FIX}",
        response.status_code,
        missing,
    )


def _failure(path: str, response: requests.Response) -> str:
    try:
        message = str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        message = ""
    hint = (
        " (check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)" if response.status_code == 401 else ""
    )
    return f"Zoom answered {response.status_code} for {path}: {message or response.reason}{hint}"
