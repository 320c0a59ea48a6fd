"""The CSV export to the TA channel, one function for `/seminar export [grades]` and the TA Home's buttons."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from handlers.records import class_record
from handlers.slack.views import seminar_replies as views
from rules.export import to_csv, to_grades_csv
from storage.db import session_scope

logger = logging.getLogger(__name__)


def upload_export(
    deps: Deps,
    client: WebClient,
    user_id: str,
    *,
    now: datetime,
    week: int | None = None,
    grades: bool = False,
) -> views.Reply:
    """Upload the class CSV (or the gradebook) to the TA channel; the reply says what happened."""
    with session_scope(deps.engine) as session:
        record = class_record(session=session, course=deps.course, now=now)
    if not record.students:
        return views.ephemeral(views.NO_STUDENTS)
    content = to_grades_csv(record) if grades else to_csv(record, week)
    stamp = deps.course.local(record.generated_at)
    name = "seminar-grades" if grades else f"seminar-report{f'-week{week}' if week else ''}"
    filename = f"{name}-{stamp:%Y%m%d-%H%M}.csv"
    try:
        client.files_upload_v2(
            channel=deps.course.ta_channel,
            content=content,
            filename=filename,
            title=filename,
            initial_comment=views.export_comment(user_id, week, grades),
        )
    except SlackApiError as error:
        logger.warning("export upload failed: %s", error.response.get("error"))
        return views.slack_failed(deps.course, "upload the export", str(error.response.get("error")))
    rows = sum(1 for _ in csv.DictReader(io.StringIO(content)))
    return views.export_done(deps.course, filename, len(record.students), rows)
