"""A fake Zoom API: Server-to-Server OAuth tokens and REST GETs, with pages, 401s and 429s.

Point zoomus at it with `base_uri=fake.api_url` and `oauth_uri=fake.oauth_url`.
Register responses by the *raw* request path (as sent on the wire, still percent-encoded),
so tests can check that instance uuids were double-encoded.
"""

from __future__ import annotations

import base64
import itertools
import re
import sys
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import FakeServer, QuietHandler
from tests.fakes.zoom_socket import FakeZoomSocket

# The granular scope Zoom's API reference gives each endpoint the bot calls (raw paths under /v2).
REQUIRED_SCOPES = (
    (re.compile(r"^/v2/past_webinars/[^/]+/instances$"), "webinar:read:list_past_instances:admin"),
    (re.compile(r"^/v2/past_meetings/[^/]+/instances$"), "meeting:read:list_past_instances:admin"),
    (re.compile(r"^/v2/report/webinars/[^/]+/participants$"), "report:read:list_webinar_participants:admin"),
    (re.compile(r"^/v2/report/meetings/[^/]+/participants$"), "report:read:list_meeting_participants:admin"),
)


@dataclass
class ZoomCall:
    """One request the fake received."""

    method: str
    raw_path: str
    query: dict[str, str]
    authorization: str
    at: float = field(default_factory=time.monotonic)


class FakeZoom(FakeServer):
    """The fake Zoom OAuth + REST server."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.api_url = self.url + "/v2"
        self.oauth_url = self.url + "/oauth/token"
        self.calls: list[ZoomCall] = []
        self.routes: dict[str, list[dict[str, Any]]] = {}
        self.faults: dict[str, list[tuple[int, dict[str, str], int]]] = {}
        self.valid_tokens: set[str] = set()
        self.delays: dict[str, float] = {}
        self.withheld_scopes: set[str] = set()
        self.client_id = "zoom-client"
        self.client_secret = "zoom-secret"
        self.account_id = "zoom-account"
        self._tokens = itertools.count(1)
        self.stall = 0.0  # seconds every request waits before it is answered: a Zoom that stops answering
        self.socket = FakeZoomSocket(lambda token: token in self.valid_tokens)
        self.httpd.handle_error = self._quiet_hangups  # type: ignore[method-assign]

    def _quiet_hangups(self, request: Any, address: Any) -> None:
        """A client that gave up on a stalled answer is expected; any other error is printed."""
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            ThreadingHTTPServer.handle_error(self.httpd, request, address)

    def start(self) -> Any:
        """Serve the REST API, OAuth and the event WebSocket; returns self."""
        self.socket.start()
        return super().start()

    def stop(self) -> None:
        """Stop both servers."""
        super().stop()
        self.socket.stop()

    def reset(self) -> None:
        """Forget routes, calls, faults and tokens."""
        with self.lock:
            self.calls.clear()
            self.routes.clear()
            self.faults.clear()
            self.valid_tokens.clear()
            self.delays.clear()
            self.withheld_scopes.clear()
            self.stall = 0.0
        self.socket.reset()

    def withhold_scope(self, scope: str) -> None:
        """The app was not given this scope: Zoom answers 400, code 4711, naming it."""
        self.withheld_scopes.add(scope)

    def missing_scope(self, raw_path: str) -> str | None:
        """The scope this path needs that the app lacks, if any."""
        needed = next((scope for rx, scope in REQUIRED_SCOPES if rx.match(raw_path)), None)
        return needed if needed in self.withheld_scopes else None

    def set_pages(self, raw_path: str, pages: list[dict[str, Any]]) -> None:
        """Serve `pages` in turn for this path; `next_page_token` is filled in for you."""
        self.routes[raw_path] = pages

    def set_report(self, raw_path: str, key: str, rows: list[dict[str, Any]], per_page: int = 300) -> None:
        """Serve `rows` under `key` as Zoom pages them; no rows is one page with an empty list."""
        chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)] or [[]]
        self.routes[raw_path] = [
            {
                "page_count": len(chunks) if rows else 0,
                "page_size": per_page,
                "total_records": len(rows),
                "next_page_token": "",
                key: chunk,
            }
            for chunk in chunks
        ]

    def set_json(self, raw_path: str, payload: dict[str, Any]) -> None:
        """Serve one JSON object for this path."""
        self.routes[raw_path] = [payload]

    def add_webinar(self, webinar_id: str, topic: str = "Seminar webinar") -> None:
        """GET /webinars/{id} knows this webinar (Zoom's 404 code 3001 for any other id)."""
        self.set_json(f"/v2/webinars/{webinar_id}", {"id": int(webinar_id), "topic": topic, "type": 5})

    def add_meeting(self, meeting_id: str, topic: str = "Seminar discussion") -> None:
        """GET /meetings/{id} knows this meeting."""
        self.set_json(f"/v2/meetings/{meeting_id}", {"id": int(meeting_id), "topic": topic, "type": 8})

    def expire_tokens(self) -> None:
        """Every token issued so far now gets 401 (as after an hour)."""
        self.valid_tokens.clear()

    def fail(
        self, raw_path: str, status: int, *, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """The next `times` GETs of this path answer `status` (e.g. 429 with Retry-After)."""
        self.faults.setdefault(raw_path, []).append((status, headers or {}, times))

    def calls_to(self, raw_path: str) -> list[ZoomCall]:
        """GETs of one raw path."""
        return [c for c in self.calls if c.raw_path == raw_path]

    def issue_token(self, authorization: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """OAuth: account_credentials grant with Basic client credentials."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}" or form.get("account_id") != self.account_id:
            return 400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        token = f"tok-{next(self._tokens)}"
        self.valid_tokens.add(token)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3599,
            "scope": " ".join(s for _, s in REQUIRED_SCOPES if s not in self.withheld_scopes),
        }

    def page(self, raw_path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The page a token points at (token = page index as a string)."""
        pages = self.routes.get(raw_path)
        if pages is None:
            return 404, {"code": 3001, "message": "Webinar does not exist or has expired."}
        index = int(query.get("next_page_token") or 0)
        if index >= len(pages):
            return 400, {"code": 300, "message": "Invalid next_page_token."}
        body = dict(pages[index])
        if len(pages) > 1 or "next_page_token" in body:
            body["next_page_token"] = str(index + 1) if index + 1 < len(pages) else ""
            body.setdefault("page_count", len(pages))
        return 200, body


class _Handler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802
        fake: FakeZoom = self.server.fake  # type: ignore[attr-defined]
        raw = self.read_body().decode()
        split = urlsplit(self.path)
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        form.update({k: v[0] for k, v in parse_qs(split.query).items()})
        auth = self.headers.get("Authorization", "")
        with fake.lock:
            fake.calls.append(ZoomCall("POST", split.path, form, auth))
        time.sleep(max(fake.stall, fake.delays.get(split.path, 0)))
        if split.path != "/oauth/token":
            self.send_json(404, {"message": "not found"})
            return
        status, body = fake.issue_token(auth, form)
        self.send_json(status, body)

    def do_GET(self) -> None:  # noqa: N802
        fake: FakeZoom = self.server.fake  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        auth = self.headers.get("Authorization", "")
        with fake.lock:
            fake.calls.append(ZoomCall("GET", split.path, query, auth))
            fault = self._take_fault(fake, split.path)
        time.sleep(max(fake.stall, fake.delays.get(split.path, 0)))
        if fault is not None:
            status, headers = fault
            message = "You have reached the maximum per-second rate limit for this API. Try again later."
            self.send_json(status, {"code": status, "message": message}, headers)
            return
        if auth.removeprefix("Bearer ") not in fake.valid_tokens:
            self.send_json(401, {"code": 124, "message": "Invalid access token."})
            return
        scope = fake.missing_scope(split.path)
        if scope is not None:
            message = f"Invalid access token, does not contain scopes:[{scope}]."
            self.send_json(400, {"code": 4711, "message": message})
            return
        status, body = fake.page(split.path, query)
        self.send_json(status, body)

    @staticmethod
    def _take_fault(fake: FakeZoom, path: str) -> tuple[int, dict[str, str]] | None:
        queue = fake.faults.get(path) or []
        if not queue:
            return None
        status, headers, times = queue[0]
        if times <= 1:
            queue.pop(0)
        else:
            queue[0] = (status, headers, times - 1)
        return status, headers
