"""Presence rules (spec §5) on the pure core: pairing, union, clipping, order independence."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.course import Course, Part, parse_course
from storage.intervals import pair_marks, union_minutes
from storage.presence import Identity, PresenceTable, normalize_name, presence_from_marks
from storage.zoom_store import Mark
from tests.factories import COURSE_TOML, local
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID

COURSE: Course = parse_course(tomllib.loads(COURSE_TOML))
WEEK1 = COURSE.weeks[0]
AFTER = local(2021, 12, 31)
EMAILS = {"ada@x.edu": 1, "bob@x.edu": 2, "cy@x.edu": 3}


def match(who: Identity) -> int | None:
    return EMAILS.get(who.email.lower())


def t(h: int, m: int) -> datetime:
    return local(2021, 9, 23, h, m)


def mark(kind: str, at: datetime, key: str = "k1", email: str = "ada@x.edu", **kw: str) -> Mark:
    zoom_id = kw.pop("zoom_id", WEBINAR_ID)
    uuid = kw.pop("uuid", "W1")
    return Mark(
        kind, at, zoom_id, uuid, f"{uuid}|{key}" if kind in ("join", "leave") else "", email=email, **kw
    )


def minutes(marks: list[Mark], now: datetime = AFTER) -> dict[tuple[int, int, Part], float]:
    return presence_from_marks(marks, course=COURSE, now=now, match=match).minutes


def test_rejoin_and_two_devices_are_unioned() -> None:
    marks = [
        mark("join", t(13, 40)),
        mark("leave", t(13, 50)),
        mark("join", t(13, 55)),
        mark("leave", t(14, 10)),
        mark("join", t(13, 45), key="phone"),
        mark("leave", t(14, 0), key="phone"),
    ]
    assert minutes(marks) == {(1, 1, "webinar"): 30.0}


def test_leave_without_join_starts_at_the_instance_start_else_the_schedule() -> None:
    started = [mark("start", t(13, 40)), mark("leave", t(14, 0))]
    assert minutes(started) == {(1, 1, "webinar"): 20.0}
    assert minutes([mark("leave", t(14, 0))]) == {(1, 1, "webinar"): 30.0}


def test_join_without_leave_ends_at_the_instance_end_else_the_schedule_or_now() -> None:
    assert minutes([mark("join", t(14, 0)), mark("end", t(14, 10))]) == {(1, 1, "webinar"): 10.0}
    assert minutes([mark("join", t(14, 0))]) == {(1, 1, "webinar"): 30.0}
    assert minutes([mark("join", t(14, 0))], now=t(14, 12)) == {(1, 1, "webinar"): 12.0}


def test_restarted_webinar_has_a_new_uuid() -> None:
    marks = [
        mark("join", t(13, 30), uuid="W1"),
        mark("end", t(13, 40), uuid="W1"),  # crashed: Ada's leave never came
        mark("start", t(13, 45), uuid="W2"),
        mark("join", t(13, 46), uuid="W2"),
        mark("leave", t(14, 6), uuid="W2"),
    ]
    assert minutes(marks) == {(1, 1, "webinar"): 30.0}


def test_unknown_zoom_id_counts_nowhere_and_missing_id_uses_the_instance() -> None:
    assert minutes([mark("join", t(13, 30), zoom_id="999"), mark("leave", t(14, 30), zoom_id="999")]) == {}
    marks = [
        mark("start", t(14, 30), zoom_id=DISCUSSION_ID, uuid="D"),
        mark("join", t(14, 40), zoom_id="", uuid="D"),
    ]
    marks.append(mark("leave", t(14, 50), zoom_id="", uuid="D"))
    assert minutes(marks) == {(1, 1, "discussion"): 10.0}


def test_unmatched_identities_are_listed_with_their_minutes() -> None:
    marks = [
        mark("join", t(13, 30), key="g1", email="", user_name="Guest"),
        mark("leave", t(13, 42), key="g1", email="", user_name="Guest"),
        mark("join", t(14, 0), key="g2", email="", user_name=" guest "),
        mark("leave", t(14, 3), key="g2", email=""),
    ]
    table = presence_from_marks(marks, course=COURSE, now=AFTER, match=match)
    assert [(u.week, u.part, u.name, u.minutes) for u in table.unmatched] == [(1, "webinar", " guest ", 15.0)]


def test_names_compare_without_case_spaces_or_composition() -> None:
    assert normalize_name("José  NÚÑEZ") == normalize_name("jose\u0301 núñez")


def test_same_instant_leave_and_rejoin_stays_present() -> None:
    spans = pair_marks(
        [("join", t(13, 30)), ("leave", t(14, 0)), ("join", t(14, 0)), ("leave", t(14, 20))],
        opened_at=lambda _: None,
        closed_at=lambda _: None,
    )
    assert union_minutes(spans, t(13, 30), t(14, 30)) == 50


# --- property tests -------------------------------------------------------------------------

offsets = st.integers(min_value=-40, max_value=100)  # minutes from the webinar's start
visit_st = st.tuples(offsets, st.one_of(st.none(), st.integers(min_value=0, max_value=90)))
person_st = st.tuples(
    st.sampled_from([*EMAILS, "guest@y.com", ""]),
    st.lists(visit_st, min_size=1, max_size=4),
    st.sampled_from([WEBINAR_ID, DISCUSSION_ID]),
)


def stream(
    people: list[tuple[str, list[tuple[int, int | None]], str]], lifecycle: tuple[bool, bool]
) -> list[Mark]:
    """A week's marks in payload-time order: each visit a join and (maybe) a leave."""
    base = WEEK1.webinar.start
    marks: list[Mark] = []
    for zoom_id, uuid in ((WEBINAR_ID, "W"), (DISCUSSION_ID, "D")):
        if lifecycle[0]:
            marks.append(mark("start", base - timedelta(minutes=5), zoom_id=zoom_id, uuid=uuid))
        if lifecycle[1]:
            marks.append(mark("end", base + timedelta(minutes=95), zoom_id=zoom_id, uuid=uuid))
    for p, (email, visits, zoom_id) in enumerate(people):
        uuid = "W" if zoom_id == WEBINAR_ID else "D"
        for v, (start, length) in enumerate(visits):
            key, join = f"p{p}v{v}", base + timedelta(minutes=start)
            marks.append(
                mark("join", join, key=key, email=email, zoom_id=zoom_id, uuid=uuid, user_name=f"n{p}")
            )
            if length is not None:
                leave = join + timedelta(minutes=length)
                marks.append(mark("leave", leave, key=key, email=email, zoom_id=zoom_id, uuid=uuid))
    return sorted(marks, key=lambda m: m.at)


def signature(table: PresenceTable) -> tuple[object, ...]:
    return (sorted(table.minutes.items()), table.unmatched)


@settings(max_examples=150, deadline=None)
@given(
    people=st.lists(person_st, min_size=1, max_size=5),
    lifecycle=st.tuples(st.booleans(), st.booleans()),
    data=st.data(),
)
def test_any_permutation_with_duplicates_gives_the_same_minutes(
    people: list[tuple[str, list[tuple[int, int | None]], str]],
    lifecycle: tuple[bool, bool],
    data: st.DataObject,
) -> None:
    ordered = stream(people, lifecycle)
    dupes = data.draw(st.lists(st.sampled_from(ordered), max_size=10))
    shuffled = data.draw(st.permutations(ordered + dupes))
    now = data.draw(st.sampled_from([AFTER, WEEK1.webinar.start + timedelta(minutes=20)]))
    expected = presence_from_marks(ordered, course=COURSE, now=now, match=match)
    assert signature(presence_from_marks(shuffled, course=COURSE, now=now, match=match)) == signature(
        expected
    )
    for (_sid, week, part), value in expected.minutes.items():
        assert 0 < value <= COURSE.weeks[week - 1].window(part).minutes
    for u in expected.unmatched:
        assert 0 < u.minutes <= COURSE.weeks[u.week - 1].window(u.part).minutes


@pytest.mark.parametrize("now", [AFTER])
def test_minutes_never_exceed_the_window(now: datetime) -> None:
    marks = [mark("join", t(12, 0)), mark("leave", t(16, 0)), mark("join", t(13, 0), key="k2")]
    assert minutes(marks, now) == {(1, 1, "webinar"): 60.0}


# --- the clock: minutes never run ahead of `now` --------------------------------------------

FAR = datetime(9998, 12, 31, 23, 59, tzinfo=WEEK1.webinar.start.tzinfo)


def test_a_leave_time_in_the_future_is_credited_only_up_to_now() -> None:
    marks = [mark("join", t(13, 30)), mark("leave", t(14, 30))]
    assert minutes(marks, now=t(13, 45)) == {(1, 1, "webinar"): 15.0}
    absurd = [mark("join", t(13, 30)), mark("leave", FAR)]
    assert minutes(absurd, now=t(13, 45)) == {(1, 1, "webinar"): 15.0}
    assert minutes(absurd) == {(1, 1, "webinar"): 60.0}  # after the week: clipped by the schedule


def test_a_join_or_end_in_the_future_counts_nothing_yet() -> None:
    assert minutes([mark("join", t(14, 0)), mark("leave", t(14, 10))], now=t(13, 45)) == {}
    ended_early = [mark("join", t(13, 30)), mark("end", t(14, 30))]
    assert minutes(ended_early, now=t(13, 40)) == {(1, 1, "webinar"): 10.0}
    started_early = [mark("start", t(13, 30)), mark("leave", FAR)]
    assert minutes(started_early, now=t(13, 40)) == {(1, 1, "webinar"): 10.0}
    assert minutes(ended_early, now=t(13, 0)) == {}


def elapsed(part: Part, week: int, now: datetime) -> float:
    """Scheduled minutes of the part that have passed by `now`."""
    window = COURSE.weeks[week - 1].window(part)
    return max(0.0, (min(now, window.end) - window.start).total_seconds() / 60)


@settings(max_examples=200, deadline=None)
@given(
    people=st.lists(person_st, min_size=1, max_size=5),
    lifecycle=st.tuples(st.booleans(), st.booleans()),
    future=st.lists(st.tuples(st.sampled_from(["join", "leave", "end"]), st.sampled_from(["W", "D"]))),
    now_offset=st.integers(min_value=-60, max_value=200),
)
def test_minutes_never_run_ahead_of_the_clock(
    people: list[tuple[str, list[tuple[int, int | None]], str]],
    lifecycle: tuple[bool, bool],
    future: list[tuple[str, str]],
    now_offset: int,
) -> None:
    """Any stream, with absurd far-future joins, leaves and ends mixed in, at any `now`."""
    marks = stream(people, lifecycle)
    for i, (kind, uuid) in enumerate(future):
        zoom_id = WEBINAR_ID if uuid == "W" else DISCUSSION_ID
        marks.append(mark(kind, FAR, key=f"p{i % 5}v0", zoom_id=zoom_id, uuid=uuid))
    now = WEEK1.webinar.start + timedelta(minutes=now_offset)
    table = presence_from_marks(marks, course=COURSE, now=now, match=match)
    for (_sid, week, part), value in table.minutes.items():
        assert value <= elapsed(part, week, now)
    for u in table.unmatched:
        assert u.minutes <= elapsed(u.part, u.week, now)
