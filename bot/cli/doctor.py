"""`seminar-bot doctor`: check for real everything the bot needs, print a checklist with fixes."""

from __future__ import annotations

from collections.abc import Iterable

import requests
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.checks import Check, Status, failed, skipped
from bot.checks.basics import configuration, course_file, database
from bot.checks.slack import doctor_client, slack_checks, socket_mode
from bot.checks.zoom import zoom_checks
from bot.config import ConfigError, Settings, load_settings
from bot.logs import SECRET_FIELDS
from storage.models import utcnow


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a person would fix them."""
    checks = configuration(settings)
    course_check, course = course_file(settings, utcnow())
    checks += [course_check, *database(settings)]
    if settings.slack_bot_token:
        checks += slack_checks(settings, course, doctor_client(settings))
    else:
        checks.append(skipped("slack", "auth.test", "needs SLACK_BOT_TOKEN"))
    if settings.slack_app_token:
        checks.append(socket_mode(settings))
    with requests.Session() as session:
        checks += zoom_checks(settings, course, session)
    return checks


def render(checks: Iterable[Check]) -> str:
    """The checklist: one line per check, grouped by section, each failure followed by its fix."""
    lines: list[str] = []
    section = ""
    for check in checks:
        if check.section != section:
            section = check.section
            lines.append(section)
        lines.append(f"  [{check.status}] {check.name}: {check.detail}")
        if check.fix:
            lines.append(f"         fix: {check.fix}")
    return "\n".join(lines) + "\n"


def summary(checks: list[Check]) -> str:
    """The last line: all passed, or how many did not."""
    bad = sum(c.status is Status.fail for c in checks)
    skipped = sum(c.status is Status.skip for c in checks)
    if not bad and not skipped:
        return f"all {len(checks)} checks passed: seminar-bot is ready\n"
    return f"{bad} of {len(checks)} failed, {skipped} not run: fix them in order, then run doctor again\n"


def redact(text: str, settings: Settings | None) -> str:
    """Belt and braces: no configured secret survives into the output, whatever a check wrote."""
    if settings is None:
        return text
    secrets = [getattr(settings, field) for field in (*SECRET_FIELDS, "zoom_websocket_subscription_id")]
    try:
        url = make_url(settings.database_url)
        secrets += [url.password, *(str(v) for k, v in url.query.items() if "pass" in k.lower())]
    except ArgumentError:
        secrets.append(settings.database_url)  # unparseable: it may hold a password anywhere
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def doctor() -> None:
    """Check configuration, course, database, Slack and Zoom for real; exit 0 only when all pass."""
    try:
        settings: Settings | None = load_settings()
    except ConfigError as exc:
        settings = None
        checks = [
            failed("configuration", "settings", str(exc), "fix the variable named above (see .env.example)")
        ]
    if settings is not None:
        checks = run_checks(settings)
    typer.echo(redact(render(checks) + summary(checks), settings), nl=False)
    if any(c.status is not Status.ok for c in checks):
        raise typer.Exit(1)
