"""Slack: one listener module per thing a person does; `register(app)` wires them all in one place."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Register every Slack listener on the Bolt app."""
    from handlers.slack import ask, home, recording, reflect, seminar, standing, ta

    for module in (ask, reflect, standing, home, recording, seminar, ta):
        module.register(app)
