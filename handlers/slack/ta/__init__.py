"""Slack: the TAs' tools on the Home tab (the dashboard, its buttons and modals) and the changes and
export they share with `/seminar`."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Register the TA Home's listeners."""
    from handlers.slack.ta import dashboard, modals

    dashboard.register(app)
    modals.register(app)
