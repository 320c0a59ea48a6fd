"""Slack: the TA Home dashboard (published for users in `course.tas`) and its Export button."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from handlers.records import class_record
from handlers.slack.accounts import is_ta
from handlers.slack.numbers import clicked_value
from handlers.slack.ta.export_upload import upload_export
from handlers.slack.views import ta_home_blocks as blocks
from handlers.slack.views.standing_blocks import home_view
from handlers.slack.views.ta_modal_views import NOT_A_TA, notice
from storage.db import session_scope

logger = logging.getLogger(__name__)
STALE_TRIGGER = ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id")


def register(app: App) -> None:
    """Register this module's listeners."""
    app.action(blocks.EXPORT)(export)


def publish_ta_home(deps: Deps, client: WebClient, user_id: str) -> None:
    """Publish the dashboard to a TA's Home tab: the class record now, through the one computation."""
    now = deps.clock()
    with session_scope(deps.engine) as session:
        record = class_record(session=session, course=deps.course, now=now)
    client.views_publish(user_id=user_id, view=home_view(blocks.ta_home_blocks(deps.course, record, now)))


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any]) -> str | None:
    """Open a modal at once (a trigger id lasts 3 s); its view id, or None when the trigger went stale."""
    try:
        opened = client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") not in STALE_TRIGGER:
            raise
        logger.warning("could not open a modal: %s", error.response.get("error"))
        return None
    return str(opened["view"]["id"])


def export(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Export (`value` "grades": the gradebook): a modal says it is under way, then what happened."""
    ack()
    deps: Deps = context["deps"]
    user_id = str(body["user"]["id"])
    if not is_ta(deps, user_id):
        open_view(client, body["trigger_id"], notice("Export", NOT_A_TA))
        return
    grades = clicked_value(body) == "grades"
    title = "Export gradebook" if grades else "Export CSV"
    view_id = open_view(client, body["trigger_id"], notice(title, "Exporting…"))
    reply = upload_export(deps, client, user_id, now=deps.clock(), grades=grades)
    if view_id is not None:
        client.views_update(view_id=view_id, view=notice(title, str(reply["text"])))
