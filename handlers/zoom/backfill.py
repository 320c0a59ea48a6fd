"""Back-fill a week from Zoom's participant reports, merged with the webhook rows by union."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from handlers.deps import Deps
from handlers.zoom.api import SCOPE_FIX, ZoomApi, ZoomApiError, encode_uuid
from handlers.zoom.visits import store_visits
from handlers.zoom.wire import Attendance, parse_instant
from rules.course import PARTS, Part, Week


@dataclass
class PartBackfill:
    """What back-fill found for one part: instances, report rows, visits read, visits new, or a problem."""

    part: Part
    zoom_id: str
    instances: list[str] = field(default_factory=list)
    rows: int = 0
    visits: int = 0
    added: int = 0
    problem: str = ""


def backfill_week(deps: Deps, api: ZoomApi, week: Week) -> list[PartBackfill]:
    """Fetch and store both parts' participant reports for the week's Zoom instances."""
    return [backfill_part(deps, api, week, part) for part in PARTS]


def backfill_part(deps: Deps, api: ZoomApi, week: Week, part: Part) -> PartBackfill:
    """One part's participant reports for the week, stored; a Zoom failure is the result's problem."""
    result = PartBackfill(part, deps.course.schedule[part].zoom_id)
    try:
        family, uuids = _instances(deps, api, result.zoom_id, week)
        if not uuids:
            result.problem = f"Zoom lists no {part} instance of {result.zoom_id} on {week.date}"
        for uuid in uuids:
            path = f"/report/{family}s/{encode_uuid(uuid)}/participants"
            rows = list(api.pages(path, "participants"))
            found = [v for row in rows if (v := report_visit(row)) is not None]
            result.instances.append(uuid)
            result.rows += len(rows)
            result.visits += len(found)
            result.added += store_visits(
                deps, found, source="report", zoom_id=result.zoom_id, instance_uuid=uuid
            )
    except ZoomApiError as exc:
        result.problem = str(exc)
    return result


def _instances(deps: Deps, api: ZoomApi, zoom_id: str, week: Week) -> tuple[str, list[str]]:
    """The instance uuids held on the week's date; a webinar id first, else a meeting id."""
    try:
        family, items = "webinar", api.get(f"/past_webinars/{zoom_id}/instances").get("webinars")
    except ZoomApiError as not_webinar:
        if not_webinar.status not in (400, 404) and not not_webinar.missing_scopes:
            raise
        try:
            family, items = "meeting", api.get(f"/past_meetings/{zoom_id}/instances").get("meetings")
        except ZoomApiError as not_meeting:
            raise _instances_error(zoom_id, not_webinar, not_meeting) from None
    uuids = []
    for item in items if isinstance(items, list) else []:
        started = parse_instant(item.get("start_time")) if isinstance(item, dict) else None
        if started is not None and deps.course.local(started).date() == week.date and item.get("uuid"):
            uuids.append(str(item["uuid"]))
    return family, uuids


def _instances_error(zoom_id: str, webinar: ZoomApiError, meeting: ZoomApiError) -> ZoomApiError:
    """Which failure to report when neither list answered: a missing scope says what to add."""
    if webinar.missing_scopes and meeting.missing_scopes:
        return ZoomApiError(
            f"Zoom refused to list past instances of {zoom_id}: missing scope "
            f"{' or '.join(webinar.missing_scopes)} (if it is a webinar) or "
            f"{' or '.join(meeting.missing_scopes)} (if it is a meeting); {SCOPE_FIX}",
            meeting.status,
            (*webinar.missing_scopes, *meeting.missing_scopes),
        )
    return webinar if webinar.missing_scopes else meeting


def report_visit(row: dict[str, Any]) -> Attendance | None:
    """One participant-report row (one join session) as a visit; None if it has no usable times."""
    join = parse_instant(row.get("join_time"))
    leave = parse_instant(row.get("leave_time"))
    duration = row.get("duration")
    if leave is None and join is not None and isinstance(duration, int) and duration >= 0:
        leave = join + timedelta(seconds=duration)
    if join is None or leave is None or leave < join or row.get("status") == "in_waiting_room":
        return None
    return Attendance(
        name=str(row.get("name") or ""),
        email=str(row.get("user_email") or ""),
        join=join,
        leave=leave,
        registrant_id=str(row.get("registrant_id") or ""),
        zoom_user_id=str(row.get("participant_user_id") or row.get("id") or ""),
        raw=_compact(row),
    )


def _compact(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
