"""Checks that need no network beyond the database: configuration, the course file, migrations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.checks import Check, failed, passed
from bot.config import DATABASE_URL_HOWTO, SLACK_HOWTO, ZOOM_API_HOWTO, Settings
from bot.runtime import load_course
from rules.course import Course
from rules.course_file import CourseError
from storage.db import alembic_config, make_engine

CONFIG = "configuration"
_ZOOM_OAUTH = ("zoom_account_id", "zoom_client_id", "zoom_client_secret")


def _groups(settings: Settings) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """The variables the bot needs, by group: Socket Mode needs the app token, not the signing secret."""
    slack = "slack_app_token" if settings.slack_app_token else "slack_signing_secret"
    return (
        ("Slack credentials", ("slack_bot_token", slack), SLACK_HOWTO),
        ("Zoom OAuth credentials", _ZOOM_OAUTH, ZOOM_API_HOWTO),
    )


def configuration(settings: Settings) -> list[Check]:
    """Each group of variables the bot needs, naming every one that is missing."""
    checks = []
    for name, fields, howto in _groups(settings):
        missing = [field.upper() for field in fields if not getattr(settings, field)]
        if missing:
            checks.append(failed(CONFIG, name, "missing " + ", ".join(missing), howto))
        else:
            checks.append(passed(CONFIG, name, "set: " + ", ".join(f.upper() for f in fields)))
    return checks


def course_file(settings: Settings, now: datetime) -> tuple[Check, Course | None]:
    """The course file parses and validates; the detail names the next session it implies."""
    label = str(settings.course_file)
    try:
        course = load_course(settings.course_file)
    except CourseError as exc:
        fix = f"edit {label} (see README 'course.toml'), or point COURSE_FILE at the right file"
        return failed("course", label, str(exc), fix), None
    return passed(
        "course", label, f"{course.name!r}, {len(course.weeks)} weeks; {next_session(course, now)}"
    ), course


def next_session(course: Course, now: datetime) -> str:
    """The next (or current) session in course time, or that none is left."""
    upcoming = next((w for w in course.weeks if w.discussion.end > now), None)
    if upcoming is None:
        last = course.weeks[-1] if course.weeks else None
        return f"no session left (the last was {last.date:%a %Y-%m-%d})" if last else "no sessions"
    start = course.local(upcoming.webinar.start)
    when = "in progress" if upcoming.webinar.start <= now else "next session"
    return f"{when}: week {upcoming.number}, {start:%a %Y-%m-%d %H:%M %Z}"


def shown_url(url: URL) -> str:
    """The URL with its password hidden, in the authority and in the query (libpq reads it there too)."""
    query = {k: "***" if "pass" in k.lower() else v for k, v in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def database(settings: Settings) -> list[Check]:
    """The database answers, and its schema is at the newest migration (alembic head)."""
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return [failed("database", "reachable", "DATABASE_URL is not a database URL", DATABASE_URL_HOWTO)]
    shown = shown_url(url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        fix = "run `seminar-bot db upgrade` (it creates the file), or fix DATABASE_URL"
        return [failed("database", "reachable", f"{shown}: no such file", fix)]
    try:
        engine = make_engine(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - an unknown dialect or a driver that is not installed
        fix = "use postgresql+psycopg://user:password@host/db or sqlite:///seminar.db (the drivers installed)"
        return [failed("database", "reachable", f"{shown}: {type(exc).__name__}", fix)]
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"; we report its kind
        fix = "check DATABASE_URL (host, port, database, user) and that the server is running"
        return [failed("database", "reachable", f"{shown}: {type(exc).__name__}", fix)]
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    reachable = passed("database", "reachable", shown)
    if current == heads:
        return [reachable, passed("database", "migrated", f"at head {', '.join(sorted(heads))}")]
    found = ", ".join(sorted(current)) or "no migrations applied"
    want = ", ".join(sorted(heads))
    return [
        reachable,
        failed("database", "migrated", f"{found}; head is {want}", "run `seminar-bot db upgrade`"),
    ]
