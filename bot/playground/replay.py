"""A typical week, replayed: late joiners, a rejoin, an early leaver, a guest, questions asked.

Each step moves the clock (the scheduler ticks on the way) and then does what a person or Zoom
would, through the same signed requests as the buttons on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.playground import actions, zoom_actions
from bot.playground.actions import PlayError
from bot.playground.moves import advance
from bot.playground.world import World
from rules.course import Week

Step = tuple[str, int, Callable[[World], Any]]  # part, minutes from its start, what happens

ADA, ALAN, GRACE, KATHERINE, ZOE, TIM, GUEST = (
    "U0PGADA01",
    "U0PGALAN1",
    "U0PGGRACE",
    "U0PGKATH1",
    "U0PGZOE01",
    "U0PGTIM01",
    "U0PGGUEST",
)


def _join(part: str, user: str) -> Callable[[World], Any]:
    return lambda w: zoom_actions.join(w, zoom_actions.part_of(part), user)


def _leave(part: str, user: str) -> Callable[[World], Any]:
    return lambda w: zoom_actions.leave(w, zoom_actions.part_of(part), user)


def _ask(user: str, text: str) -> Callable[[World], Any]:
    return lambda w: actions.command(w, user, "/ask", text)


SCRIPT: tuple[Step, ...] = (
    ("webinar", -2, lambda w: zoom_actions.start(w, "webinar")),
    ("webinar", -1, _join("webinar", ADA)),
    ("webinar", 0, _join("webinar", ALAN)),
    ("webinar", 0, _join("webinar", KATHERINE)),
    ("webinar", 1, _join("webinar", ZOE)),
    ("webinar", 2, _join("webinar", TIM)),
    ("webinar", 5, _join("webinar", GUEST)),
    ("webinar", 12, _leave("webinar", TIM)),  # Tim's laptop died …
    ("webinar", 18, _join("webinar", TIM)),  # … and he rejoined
    ("webinar", 20, _leave("webinar", KATHERINE)),  # left early, for good
    ("webinar", 25, _join("webinar", GRACE)),  # late, from her iPad
    ("webinar", 40, _leave("webinar", GUEST)),
    ("webinar", 60, lambda w: zoom_actions.end(w, "webinar")),
    ("discussion", 0, lambda w: zoom_actions.start(w, "discussion")),
    ("discussion", 0, _join("discussion", ADA)),
    ("discussion", 0, _join("discussion", ZOE)),
    ("discussion", 1, _join("discussion", ALAN)),
    ("discussion", 2, _join("discussion", TIM)),
    ("discussion", 4, _join("discussion", GRACE)),
    ("discussion", 5, _ask(ADA, "How do you pick the batch size when latency & cost pull apart?")),
    ("discussion", 8, _ask(ALAN, "Would *speculative decoding* change that answer?")),
    ("discussion", 12, _ask(ZOE, "What happens when p99 > the SLO for <1 minute?")),
    ("discussion", 14, _ask(ADA, "Is there a rule of thumb for GPU memory headroom?")),
    ("discussion", 17, _ask(GRACE, "How do you test a serving change before rollout?")),
    ("discussion", 20, _leave("discussion", TIM)),
    ("discussion", 22, _ask(ZOE, "Which metric do you page on first?")),
    ("discussion", 30, lambda w: zoom_actions.end(w, "discussion")),
)


def next_week(world: World) -> Week:
    """The first week whose webinar (less the replay's lead-in) is still ahead of the clock."""
    now = world.clock()
    week = next(
        (w for w in world.runtime.course.weeks if w.webinar.start - timedelta(minutes=2) >= now), None
    )
    if week is None:
        raise PlayError("every week's webinar has started: reset the playground to replay a week")
    return week


def replay(world: World) -> dict[str, Any]:
    """Play the whole of the next week's webinar and discussion; the clock ends at the discussion's end."""
    week = next_week(world)
    for part, minutes, happen in SCRIPT:
        start = week.webinar.start if part == "webinar" else week.discussion.start
        advance(world, start + timedelta(minutes=minutes))
        happen(world)
    world.note("zoom", f"replayed week {week.number}")
    return {"week": week.number}
