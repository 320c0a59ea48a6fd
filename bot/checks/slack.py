"""Slack checks: the token works, the granted scopes cover manifest.yml's, channels and TAs are real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.checks import TIMEOUT_SECONDS, Check, failed, passed, skipped
from bot.config import Settings
from rules.course import Course

SECTION = "slack"
MANIFEST_NAME = "manifest.yml"
REINSTALL = (
    "Slack app settings → OAuth & Permissions: add the missing bot scopes (or paste manifest.yml "
    "under App Manifest), then Reinstall to Workspace and copy the new Bot User OAuth Token "
    "into SLACK_BOT_TOKEN"
)
BAD_TOKEN = (
    "copy Slack app settings → OAuth & Permissions → Bot User OAuth Token (xoxb-…) into "
    "SLACK_BOT_TOKEN; if the app was uninstalled, install it again"
)

APP_TOKEN = (
    "Slack app settings → Basic Information → App-Level Tokens: generate a token with the scope "
    "connections:write and copy it (xapp-…) into SLACK_APP_TOKEN; Socket Mode must be on "
    "(manifest.socket.yml)"
)


def slack_checks(settings: Settings, course: Course | None, client: WebClient) -> list[Check]:
    """auth.test first; the other checks need a working token, and channels and TAs a course."""
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        return [
            failed(SECTION, "auth.test", f"Slack refused the token: {exc.response.get('error')}", BAD_TOKEN)
        ]
    except (SlackClientError, OSError) as exc:  # OSError: timeouts and refused connections
        fix = f"check SLACK_API_URL ({settings.slack_api_url}) and this machine's outbound network"
        return [failed(SECTION, "auth.test", f"Slack did not answer ({type(exc).__name__})", fix)]
    checks = [
        passed(SECTION, "auth.test", _workspace(auth.data)),
        scopes(_header(auth.headers, "x-oauth-scopes")),
    ]
    if course is None:
        return [*checks, skipped(SECTION, "channels and TAs", "needs a valid course file")]
    checks.append(membership(client, "ta_channel", course.ta_channel))
    if course.questions_channel:
        checks.append(membership(client, "questions_channel", course.questions_channel))
    return [*checks, tas(client, course.tas)]


def _workspace(data: Any) -> str:
    body = data if isinstance(data, dict) else {}
    team = body.get("team") or body.get("team_id") or "?"
    return f"workspace {team!r} ({body.get('url') or body.get('team_id')}) as bot user {body.get('user_id')}"


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


def manifest_scopes(path: Path | None = None) -> set[str]:
    """The bot scopes manifest.yml asks for (the working directory's, else the project's)."""
    found = path or next(p for p in _manifest_candidates() if p.is_file())
    data = yaml.safe_load(found.read_text(encoding="utf-8"))
    return {str(s) for s in data["oauth_config"]["scopes"]["bot"]}


def _manifest_candidates() -> list[Path]:
    return [
        Path.cwd() / MANIFEST_NAME,
        Path(__file__).resolve().parents[2] / MANIFEST_NAME,
        Path(MANIFEST_NAME),
    ]


def scopes(header: str | None) -> Check:
    """Slack's x-oauth-scopes header against every bot scope manifest.yml declares."""
    try:
        wanted = manifest_scopes()
    except (StopIteration, OSError, yaml.YAMLError, KeyError, TypeError):
        return failed(
            SECTION, "scopes", "manifest.yml not found or unreadable", "run doctor from the project folder"
        )
    if header is None:
        return failed(SECTION, "scopes", "Slack sent no x-oauth-scopes header", "check SLACK_API_URL")
    granted = {s.strip() for s in header.split(",") if s.strip()}
    missing = sorted(wanted - granted)
    if missing:
        return failed(SECTION, "scopes", "missing " + ", ".join(missing), REINSTALL)
    return passed(SECTION, "scopes", f"all {len(wanted)} bot scopes of manifest.yml granted")


def membership(client: WebClient, key: str, channel: str) -> Check:
    """conversations.info: the channel exists and the bot is in it (it posts and edits there)."""
    name = f"{key} {channel}"
    invite = f"in Slack, open the channel and type `/invite @seminar-bot`; or fix {key} in the course file"
    try:
        info = client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error == "missing_scope":
            return failed(SECTION, name, "cannot look the channel up (missing_scope)", REINSTALL)
        detail = f"Slack answered {error}: no such channel, or a private one the bot is not in"
        return failed(SECTION, name, detail, invite)
    except (SlackClientError, OSError) as exc:  # OSError: timeouts and refused connections
        return failed(SECTION, name, f"Slack did not answer ({type(exc).__name__})", "try again")
    found = info.get("channel") or {}
    label = f"#{found.get('name')}" if found.get("name") else channel
    if found.get("is_archived"):
        return failed(
            SECTION, name, f"{label} is archived", f"unarchive it, or change {key} in the course file"
        )
    if not found.get("is_member"):
        return failed(SECTION, name, f"the bot is not a member of {label}", invite)
    return passed(SECTION, name, f"the bot is a member of {label}")


def tas(client: WebClient, user_ids: tuple[str, ...]) -> Check:
    """users.info for every TA: a real, active person in this workspace."""
    problems = [problem for uid in user_ids if (problem := _ta_problem(client, uid))]
    if problems:
        fix = (
            "put Slack member ids in the course file's `tas` "
            "(in Slack: the person's profile → ⋮ → Copy member ID)"
        )
        return failed(SECTION, "TAs", "; ".join(problems), fix)
    return passed(SECTION, "TAs", f"{len(user_ids)} Slack users found: {', '.join(user_ids)}")


def _ta_problem(client: WebClient, user_id: str) -> str | None:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        return f"{user_id}: {exc.response.get('error')}"
    except (SlackClientError, OSError) as exc:  # OSError: timeouts and refused connections
        return f"{user_id}: Slack did not answer ({type(exc).__name__})"
    if user.get("deleted"):
        return f"{user_id}: deactivated"
    if user.get("is_bot"):
        return f"{user_id}: a bot, not a person"
    return None


def socket_mode(settings: Settings) -> Check:
    """apps.connections.open with SLACK_APP_TOKEN, as `serve` starts Socket Mode (nothing connects)."""
    name = "Socket Mode"
    client = WebClient(base_url=settings.slack_api_url, timeout=TIMEOUT_SECONDS)
    try:
        client.apps_connections_open(app_token=settings.slack_app_token or "")
    except SlackApiError as exc:
        detail = f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error')}"
        return failed(SECTION, name, detail, APP_TOKEN)
    except (SlackClientError, OSError) as exc:  # OSError: timeouts and refused connections
        fix = f"check SLACK_API_URL ({settings.slack_api_url}) and this machine's outbound network"
        return failed(SECTION, name, f"Slack did not answer ({type(exc).__name__})", fix)
    return passed(SECTION, name, "SLACK_APP_TOKEN opens a connection (apps.connections.open)")


def doctor_client(settings: Settings) -> WebClient:
    """A Slack client for doctor: a timeout on every call and no retries, so doctor never hangs."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=TIMEOUT_SECONDS)
