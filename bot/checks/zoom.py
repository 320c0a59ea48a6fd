"""Zoom checks: a Server-to-Server OAuth token, each course zoom_id known to Zoom, event delivery set."""

from __future__ import annotations

from typing import Any

import requests

from bot.checks import TIMEOUT_SECONDS, Check, failed, passed, skipped
from bot.config import ZOOM_WEBHOOK_HOWTO, Settings
from bot.zoom_client import issued_token, request_token
from rules.course import Course

SECTION = "zoom"
# The webinar part is looked up as a webinar first, the discussion as a meeting first;
# either may be the other kind.
FAMILIES = {"webinar": ("webinars", "meetings"), "discussion": ("meetings", "webinars")}
READ_SCOPES = "webinar:read:admin and meeting:read:admin"


CREDENTIALS_FIX = (
    "copy the Account ID, Client ID and Client Secret from the Server-to-Server OAuth app's "
    "App Credentials (Zoom Marketplace → Manage) into ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and "
    "ZOOM_CLIENT_SECRET, and activate the app"
)
NETWORK_FIX = "check ZOOM_OAUTH_URL and this machine's outbound network"


class ZoomCheckError(Exception):
    """Zoom's answer, worded for the checklist, with what to do about it."""

    def __init__(self, message: str, fix: str = NETWORK_FIX) -> None:
        super().__init__(message)
        self.fix = fix


def zoom_checks(settings: Settings, course: Course | None, session: requests.Session) -> list[Check]:
    """The token first; the ids need it and a course. Event delivery is checked either way."""
    if settings.zoom_api_configured:
        checks = _token_and_ids(settings, course, session)
    else:
        checks = [
            skipped(SECTION, "OAuth token", "needs ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")
        ]
    return [*checks, events(settings)]


def _token_and_ids(settings: Settings, course: Course | None, session: requests.Session) -> list[Check]:
    try:
        token = fetch_token(settings)
    except ZoomCheckError as exc:
        return [failed(SECTION, "OAuth token", str(exc), exc.fix)]
    checks = [passed(SECTION, "OAuth token", f"issued by {settings.zoom_oauth_url}")]
    if course is None:
        return [*checks, skipped(SECTION, "zoom ids", "needs a valid course file")]
    return checks + [
        zoom_id(settings, session, token, part, sched.zoom_id) for part, sched in course.schedule.items()
    ]


def fetch_token(settings: Settings) -> str:
    """The bot's own token request (bot/zoom_client.py), its failures worded as a check with a fix."""
    try:
        response = request_token(settings, TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise ZoomCheckError(f"Zoom did not answer ({type(exc).__name__})") from None
    token = issued_token(response)
    if response.status_code != 200 or token is None:
        body = _json(response)
        reason = body.get("reason") or body.get("error") or response.reason
        refused = f"Zoom refused the credentials ({response.status_code}: {reason})"
        raise ZoomCheckError(refused, CREDENTIALS_FIX)
    return token


def zoom_id(settings: Settings, session: requests.Session, token: str, part: str, number: str) -> Check:
    """GET /webinars/{id} or /meetings/{id}: Zoom knows this id on the OAuth app's account."""
    name = f"schedule.{part}.zoom_id {number}"
    answers = []
    for family in FAMILIES.get(part, ("webinars", "meetings")):
        try:
            status, body = _get(settings, session, token, f"/{family}/{number}")
        except ZoomCheckError as exc:
            return failed(SECTION, name, str(exc), "check ZOOM_API_URL and this machine's outbound network")
        if status == 200:
            topic = body.get("topic")
            return passed(SECTION, name, f"a {family[:-1]}" + (f", {topic!r}" if topic else ""))
        answers.append(f"{family}: {status} {body.get('message') or ''}".strip())
    fix = (
        f"put the {part}'s id from its join link (digits only) in the course file's schedule.{part}.zoom_id; "
        f"it must belong to the OAuth app's account, and the app needs the scopes {READ_SCOPES}"
    )
    return failed(SECTION, name, "Zoom knows no such webinar or meeting (" + "; ".join(answers) + ")", fix)


def _get(settings: Settings, session: requests.Session, token: str, path: str) -> tuple[int, dict[str, Any]]:
    try:
        response = session.get(
            settings.zoom_api_url.rstrip("/") + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise ZoomCheckError(f"Zoom did not answer ({type(exc).__name__})") from None
    return response.status_code, _json(response)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def events(settings: Settings) -> Check:
    """Zoom can deliver events: a webhook secret token, or a WebSocket subscription id."""
    if settings.zoom_webhook_secret_token:
        return passed(SECTION, "events", "ZOOM_WEBHOOK_SECRET_TOKEN set (webhooks at /zoom/webhook)")
    if settings.zoom_websocket_subscription_id:
        return passed(SECTION, "events", "ZOOM_WEBSOCKET_SUBSCRIPTION_ID set (Zoom's event WebSocket)")
    fix = ZOOM_WEBHOOK_HOWTO + " Or set ZOOM_WEBSOCKET_SUBSCRIPTION_ID for Zoom's event WebSocket."
    return failed(
        SECTION, "events", "neither ZOOM_WEBHOOK_SECRET_TOKEN nor ZOOM_WEBSOCKET_SUBSCRIPTION_ID set", fix
    )
