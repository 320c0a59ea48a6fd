"""One demo world: its own SQLite file, demo course and roster, clock, workspace and a real bot.

The bot is the production assembly — `build_slack_app` and `create_app` over a Runtime — with
playground-only secrets and its WebClient's base_url on the playground's fake Web API, so it
can reach neither Slack nor the real database.
"""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from starlette.applications import Starlette

from bot.app import build_slack_app, make_web_client
from bot.config import ConfigError, Settings
from bot.playground import demo
from bot.playground.clock import PlayClock
from bot.playground.slack_api import SlackApi
from bot.playground.workspace import Workspace
from bot.playground.zoom_requests import Room
from bot.runtime import Runtime
from bot.scheduler import scheduler_client
from bot.web import create_app
from storage.db import make_engine, session_scope, upgrade
from storage.roster import apply_roster

logger = logging.getLogger(__name__)
LISTENER_THREADS = 16
MAX_LOG = 200


@dataclass(frozen=True)
class Secrets:
    """Made up at start-up and known only to this process: nothing Slack or Zoom would accept."""

    slack_signing: str = field(default_factory=lambda: secrets.token_hex(16))
    zoom_token: str = field(default_factory=lambda: secrets.token_hex(16))
    bot_token: str = field(default_factory=lambda: "xoxb-playground-" + secrets.token_hex(8))


@dataclass
class World:
    """Everything one run of the demo holds; `reset` builds a new one."""

    base_url: str
    secrets: Secrets
    runtime: Runtime
    bot: Starlette
    workspace: Workspace
    api: SlackApi
    clock: PlayClock
    scheduler: WebClient
    listeners: ThreadPoolExecutor
    rooms: dict[tuple[int, str], Room] = field(default_factory=dict)
    log: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, text: str) -> None:
        """Add a line to the activity log the page shows beside the conversations."""
        self.log.append({"at": self.clock().isoformat(), "kind": kind, "text": text})
        del self.log[:-MAX_LOG]
        self.workspace.changed()

    def close(self) -> None:
        """Let the bot's background work finish, then let go of the database."""
        self.listeners.shutdown(wait=True)
        self.runtime.deps.drain()
        self.runtime.engine.dispose()


def database_file(settings: Settings) -> Path:
    """The playground's SQLite file; refused when it is the real database's file."""
    path = settings.playground_db.resolve()
    real = settings.database_url.removeprefix("sqlite:///")
    if settings.database_url.startswith("sqlite:///") and Path(real).resolve() == path:
        raise ConfigError(f"PLAYGROUND_DB {settings.playground_db} is the real database (DATABASE_URL)")
    return path


def build_world(settings: Settings, base_url: str, keys: Secrets) -> World:
    """A fresh demo: a new SQLite file, the demo course and roster, and the bot wired to the fakes."""
    path = database_file(settings)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)
    course = demo.course(demo.today_in_course())
    clock = PlayClock(demo.start_time(course))
    play_settings = Settings(
        database_url=f"sqlite:///{path}",
        slack_bot_token=keys.bot_token,
        slack_signing_secret=keys.slack_signing,
        slack_api_url=f"{base_url}/slack/api/",
        zoom_webhook_secret_token=keys.zoom_token,
        log_level=settings.log_level,
    )
    runtime = Runtime(
        settings=play_settings, engine=make_engine(play_settings.database_url), course=course, clock=clock
    )
    upgrade(runtime.engine)
    with session_scope(runtime.engine) as session:
        apply_roster(session=session, rows=demo.roster())
    workspace = Workspace(clock)
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="playground")
    slack_app = build_slack_app(play_settings, runtime.deps, make_web_client(play_settings), listeners)
    return World(
        base_url=base_url,
        secrets=keys,
        runtime=runtime,
        bot=create_app(runtime, slack_app=slack_app, log_integrations=False),
        workspace=workspace,
        api=SlackApi(workspace, keys.bot_token, base_url),
        clock=clock,
        scheduler=scheduler_client(play_settings),
        listeners=listeners,
    )


def course_json(world: World) -> dict[str, Any]:
    """The demo course's calendar, for the page's header and clock buttons."""
    course = world.runtime.course
    return {
        "name": course.name,
        "timezone": course.timezone.key,
        "weeks": [
            {
                "number": w.number,
                "date": w.date.isoformat(),
                "webinar": [w.webinar.start.isoformat(), w.webinar.end.isoformat()],
                "discussion": [w.discussion.start.isoformat(), w.discussion.end.isoformat()],
                "due": course.reflection_due(w).isoformat(),
                "speaker": w.speaker,
                "title": w.title,
            }
            for w in course.weeks
        ],
    }
