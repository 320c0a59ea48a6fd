"""Slack: the App Home tab shows the same record as /standing, published when it is opened."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from handlers import Deps
from handlers.slack_standing import record_blocks
from handlers.students import NotEnrolled, active_student
from handlers.views import standing as views


def register(app: App) -> None:
    """Register this module's listeners."""
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Publish the Home tab (the Messages tab opening is ignored)."""
    if event.get("tab") != "home":
        return
    publish_home(context["deps"], client, event["user"])


def publish_home(deps: Deps, client: WebClient, user_id: str) -> None:
    """Render the user's Home tab: their record, a TA's pointer, or why there is none."""
    try:
        student = active_student(deps, client, user_id)
    except NotEnrolled as exc:
        blocks = views.ta_home(deps.course.name) if exc.why == "ta" else views.home_notice(exc.notice())
    else:
        blocks = record_blocks(deps, student, views.HOME_BLOCKS)[1]
    client.views_publish(user_id=user_id, view=views.home_view(blocks))
