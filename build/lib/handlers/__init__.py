"""Slack and Zoom handlers; `register_slack(app)` wires every Slack listener in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App
from sqlalchemy.engine import Engine

from storage.course import Course


@dataclass(frozen=True)
class Deps:
    """What a handler needs: the database, the course and the clock (injected for tests)."""

    engine: Engine
    course: Course
    clock: Callable[[], datetime]


def register_slack(app: App) -> None:
    """Register every Slack listener on the Bolt app."""
    from handlers import (
        slack_ask,
        slack_home,
        slack_recording,
        slack_reflect,
        slack_seminar,
        slack_standing,
    )

    for module in (
        slack_ask,
        slack_reflect,
        slack_standing,
        slack_home,
        slack_recording,
        slack_seminar,
    ):
        module.register(app)
