"""Slack: one listener module per thing a person does; `register(app)` wires them all in one place."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Register every Slack listener on the Bolt app."""
    from handlers.slack import ask, home, queue, recording, reflect, seminar, standing, ta, upvote

    for module in (ask, reflect, standing, home, recording, seminar, upvote, queue, ta):
        module.register(app)
