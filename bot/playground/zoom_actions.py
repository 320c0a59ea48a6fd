"""Playing Zoom: start and end the webinar or the discussion, join and leave, as signed webhooks."""

from __future__ import annotations

from typing import Any

import requests

from bot.playground import zoom_requests as zoom
from bot.playground.actions import TIMEOUT, PlayError, person
from bot.playground.demo import BY_ID
from bot.playground.world import World
from rules.course import PARTS, Part, Week


def part_of(name: object) -> Part:
    """`webinar` or `discussion`, or PlayError."""
    for part in PARTS:
        if name == part:
            return part
    raise PlayError(f"part must be one of {', '.join(PARTS)}, not {name!r}")


def todays_week(world: World) -> Week:
    """The session held on the clock's date (Zoom rooms belong to one week)."""
    course, now = world.runtime.course, world.clock()
    week = next((w for w in course.weeks if w.date == course.local(now).date()), None)
    if week is None:
        raise PlayError("there is no session today: move the clock to the next webinar first")
    return week


def room(world: World, part: Part) -> zoom.Room:
    """Today's running room for the part, or PlayError."""
    found = world.rooms.get((todays_week(world).number, part))
    if found is None or found.ended is not None:
        raise PlayError(f"the {part} is not running: start it first")
    return found


def start(world: World, part: Part) -> dict[str, Any]:
    """The host starts the webinar or the discussion meeting."""
    week, now = todays_week(world), world.clock()
    existing = world.rooms.get((week.number, part))
    if existing is not None and existing.ended is None:
        raise PlayError(f"the {part} is already running")
    started = world.rooms[(week.number, part)] = zoom.Room(part, week.number, zoom.new_uuid(), now)
    return deliver(world, zoom.lifecycle(started, "started", now))


def end(world: World, part: Part) -> dict[str, Any]:
    """The host ends it: everyone still inside leaves, then `ended`."""
    running, now = room(world, part), world.clock()
    for user in running.inside():
        leave(world, part, user)
    running.ended = now
    return deliver(world, zoom.lifecycle(running, "ended", now))


def join(world: World, part: Part, user: str) -> dict[str, Any]:
    """Someone joins (a guest joins under a device name and no email)."""
    running, now = room(world, part), world.clock()
    if person(user) in running.inside():
        raise PlayError(f"{BY_ID[user].name} is already in the {part}")
    running.visits.append(zoom.Visit(user, now))
    return deliver(world, zoom.visit(running, BY_ID[user], "participant_joined", now))


def leave(world: World, part: Part, user: str) -> dict[str, Any]:
    """Someone leaves."""
    running, now = room(world, part), world.clock()
    stay = next((v for v in running.visits if v.person == person(user) and v.left is None), None)
    if stay is None:
        raise PlayError(f"{BY_ID[user].name} is not in the {part}")
    stay.left = now
    return deliver(world, zoom.visit(running, BY_ID[user], "participant_left", now))


def deliver(world: World, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the event, signed as Zoom signs it, to the bot's /zoom/webhook."""
    body = zoom.raw(payload)
    headers = zoom.sign(world.secrets.zoom_token, body)
    answer = requests.post(f"{world.base_url}/bot/zoom/webhook", data=body, headers=headers, timeout=TIMEOUT)
    who = payload["payload"]["object"].get("participant", {}).get("user_name", "")
    world.note("zoom", f"{payload['event']} {who} → {answer.status_code}".replace("  ", " "))
    return {"status": answer.status_code, "event": payload["event"]}


def rooms_json(world: World) -> list[dict[str, Any]]:
    """Every room so far, newest first, for the page's Zoom panel."""
    now = world.clock()
    return [r.as_json(now) for r in sorted(world.rooms.values(), key=lambda r: r.started, reverse=True)]
