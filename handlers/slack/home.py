"""Slack: the App Home tab, published when it is opened: a student's own record (as /standing shows
it), the TA dashboard for users in `course.tas`, or why there is none."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.accounts import is_ta
from handlers.slack.guard import as_student
from handlers.slack.standing import record_blocks
from handlers.slack.ta.dashboard import publish_ta_home
from handlers.slack.views import standing_blocks as views
from handlers.slack.views.ta_home_blocks import REFRESH


def register(app: App) -> None:
    """Register this module's listeners."""
    app.event("app_home_opened")(home_opened)
    app.action(REFRESH)(refresh)


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Publish the Home tab (the Messages tab opening is ignored)."""
    if event.get("tab") != "home":
        return
    publish_home(context["deps"], client, event["user"])


def refresh(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The dashboard's Refresh button: publish again (anyone else gets only their own Home)."""
    ack()
    publish_home(context["deps"], client, str(body["user"]["id"]))


def publish_home(deps: Deps, client: WebClient, user_id: str) -> None:
    """Render the user's Home tab: the TA dashboard, else their record, or why there is none."""
    if is_ta(deps, user_id):
        publish_ta_home(deps, client, user_id)
        return
    blocks = as_student(
        deps,
        client,
        user_id,
        lambda student: record_blocks(deps, student, views.HOME_BLOCKS)[1],
        lambda exc: views.home_notice(exc.notice()),
    )
    client.views_publish(user_id=user_id, view=views.home_view(blocks))
