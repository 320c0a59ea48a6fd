"""Store visits from a participant report or a portal CSV, merged with the webhook rows by union."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.zoom.wire import Attendance, attendance_rows
from storage.db import session_scope
from storage.zoom_store import insert_events


def store_visits(
    deps: Deps, found: list[Attendance], *, source: str, zoom_id: str, instance_uuid: str = ""
) -> int:
    """Store report or CSV visits in one transaction; returns how many were new."""
    now = deps.clock()
    rows = [
        row
        for visit in found
        for row in attendance_rows(
            visit, source=source, zoom_id=zoom_id, instance_uuid=instance_uuid, received_at=now
        )
    ]
    with session_scope(deps.engine) as session:
        return insert_events(session=session, rows=rows) // 2
