"""The course calendar: weeks, skips, DST and clear errors for bad files."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.course import CourseError, ZoomOptions, load_course, parse_course
from tests.factories import COURSE_TOML, local, write_course


def test_weeks_skip_thanksgiving(course_file: Path) -> None:
    course = load_course(course_file)
    assert len(course.weeks) == 10
    assert course.weeks[0].date == date(2021, 9, 23)
    assert date(2021, 11, 25) not in [w.date for w in course.weeks]
    assert course.weeks[-1].number == 10 and course.weeks[-1].date == date(2021, 12, 2)
    assert course.weeks[0].speaker == "Dr. Ada Example"
    assert course.weeks[0].recording_url == "https://www.youtube.com/watch?v=week1"


def test_dst_keeps_local_times(course_file: Path) -> None:
    """DST ends 2021-11-07 in Los Angeles: 13:30 local stays 13:30, UTC moves by an hour."""
    course = load_course(course_file)
    before = course.week(7)
    after = course.week(8)
    assert before and after
    assert before.date == date(2021, 11, 4) and after.date == date(2021, 11, 11)
    for week in (before, after):
        assert course.local(week.webinar.start).strftime("%H:%M") == "13:30"
        assert course.local(week.discussion.end).strftime("%H:%M") == "15:00"
    assert before.webinar.start.astimezone(UTC).hour == 20
    assert after.webinar.start.astimezone(UTC).hour == 21
    assert before.webinar.minutes == after.webinar.minutes == 60


def test_windows_due_and_ask(course_file: Path) -> None:
    course = load_course(course_file)
    w1, w2 = course.weeks[0], course.weeks[1]
    assert course.reflection_due(w1) == w2.webinar.start
    assert course.reflection_due(course.weeks[-1]) == course.weeks[-1].webinar.start + timedelta(days=7)
    assert course.ask_week(local(2021, 9, 23, 15, 14)) == w1
    assert course.ask_week(local(2021, 9, 23, 15, 15)) is None
    assert course.next_ask_week(local(2021, 9, 23, 15, 15)) == w2
    assert course.part_for_zoom_id("81234567891") == "discussion"
    assert course.part_for_zoom_id("999") is None
    assert not course.ended(w1, local(2021, 9, 23, 14, 59))
    assert course.ended(w1, local(2021, 9, 23, 15, 0))
    assert course.open_reflection_week(datetime(2021, 9, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'start = "13:30", end = "14:30", zoom_id = "81234567890"',
            'start = "25:61", end = "14:30", zoom_id = "81234567890"',
            'schedule.webinar.start: "25:61" is not a time',
        ),
        ('timezone = "America/Los_Angeles"', 'timezone = "Mars/Olympus"', "course.timezone"),
        ("first_session = 2021-09-23", "first_session = 2021-09-31", "not valid TOML"),
        ('name = "CS 528: Machine Learning Systems Seminar"\n', "", "course.name: missing"),
        ("min_presence = 0.5", "min_presence = 1.5", "policy.min_presence"),
        ("reflection_sentences = [2, 3]", "reflection_sentences = [3, 2]", "policy.reflection_sentences"),
        ("[schedule]", '[schedule]\nweekday = "Funday"', 'schedule.weekday: "Funday" is not a weekday'),
        ("[schedule]", '[schedule]\nweekday = "Monday"', "schedule.weekday: Monday but first_session"),
        ('end = "15:00"', 'end = "14:00"', "schedule.discussion.end"),
        ("week = 1", "week = 40", "sessions.week: 40"),
        ("last_session = 2021-12-02", "last_session = 2021-09-01", "course.last_session"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in COURSE_TOML
    path = write_course(tmp_path, COURSE_TOML.replace(old, new, 1))
    with pytest.raises(CourseError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_course(path)


def test_missing_table_and_file(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match=r"schedule: missing table"):
        load_course(write_course(tmp_path, COURSE_TOML.split("[schedule]")[0]))
    with pytest.raises(CourseError, match="file not found"):
        load_course(tmp_path / "nope.toml")


def test_weekday_matching_first_session_is_accepted(tmp_path: Path) -> None:
    path = write_course(tmp_path, COURSE_TOML.replace("[schedule]", '[schedule]\nweekday = "Thursday"'))
    assert len(load_course(path).weeks) == 10


# --- values of the wrong type or shape: one line naming the key ------------------------------

WEBINAR_LINE = 'webinar = { start = "13:30", end = "14:30", zoom_id = "81234567890" }'
DISCUSSION_LINE = 'discussion = { start = "14:30", end = "15:00", zoom_id = "81234567891" }'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_presence = 0.5", "min_presence = true", "policy.min_presence: true is not a fraction"),
        ("min_presence = 0.5", 'min_presence = "0.5"', 'policy.min_presence: "0.5" is not a fraction'),
        ("min_presence = 0.5", "min_presence = nan", "policy.min_presence: nan is not a fraction"),
        ("min_questions = 2", 'min_questions = "2"', 'policy.min_questions: "2" is not a whole number'),
        ("min_questions = 2", "min_questions = true", "policy.min_questions: true is not a whole number"),
        ("min_questions = 2", "min_questions = 2.0", "policy.min_questions: 2.0 is not a whole number"),
        ("max_absences = 2", "max_absences = -1", "policy.max_absences: -1 is not a whole number ≥ 0"),
        ("reflection_sentences = [2, 3]", "reflection_sentences = [3, 2]", "[3, 2] is not [min, max]"),
        ("reflection_sentences = [2, 3]", "reflection_sentences = [true, 3]", "[true, 3] is not [min, max]"),
        ("reflection_sentences = [2, 3]", "reflection_sentences = 3", "reflection_sentences: 3 is not"),
        ("min_presence = 0.5", "min_presense = 0.6", "policy.min_presense: unknown key"),
        (WEBINAR_LINE, 'webinar = "13:30"', 'schedule.webinar: "13:30" is not a table'),
        ('zoom_id = "81234567890"', "zoom_id = true", "schedule.webinar.zoom_id: true is not a Zoom"),
        ('zoom_id = "81234567890"', 'zoom_id = "abc"', 'schedule.webinar.zoom_id: "abc" is not a Zoom'),
        (
            'zoom_id = "81234567891"',
            'zoom_id = "812 3456 7890"',
            "schedule.discussion.zoom_id: 81234567890 is",
        ),
        (DISCUSSION_LINE, DISCUSSION_LINE.replace('"14:30"', '"14:00"'), "discussion.start: 14:00 is before"),
        (DISCUSSION_LINE, DISCUSSION_LINE.replace('"14:30"', '"09:00"'), "discussion.start: 09:00 is before"),
        ('start = "13:30"', "start = 1330", "schedule.webinar.start: 1330 is not a time"),
        ('start = "13:30"', 'start = "١٣:٣٠"', 'schedule.webinar.start: "١٣:٣٠" is not a time'),
        ("skip = [2021-11-25]", "skip = 2021-11-25", "course.skip: 2021-11-25 is not a list of dates"),
        ("skip = [2021-11-25]", 'skip = ["soon"]', 'course.skip[0]: "soon" is not a date'),
        ("last_session = 2021-12-02", "last_session = 9999-12-31", "more than 520 weeks"),
        ('questions_channel = "C0QNA"', "questions_channel = 5", "course.questions_channel: 5 is not"),
        ('tas = ["U0TA1", "U0TA2"]', 'tas = ["U0TA1", 2]', "course.tas[1]: 2 is not a non-empty string"),
        ('tas = ["U0TA1", "U0TA2"]', 'tas = "U0TA1"', 'course.tas: "U0TA1" is not a list'),
        ('timezone = "America/Los_Angeles"', 'timezone = "America"', 'course.timezone: "America" is not'),
        ("week = 1", "week = true", "sessions[0].week: true is not a week number"),
        ('speaker = "Dr. Ada Example"', "speaker = 3", "sessions[0].speaker: 3 is not a string"),
        ("[[sessions]]", '[zoom]\nstaff = "ada"\n[[sessions]]', 'zoom.staff: "ada" is not a list'),
        (
            "[[sessions]]",
            "[zoom]\nbackfill_after_minutes = true\n[[sessions]]",
            "backfill_after_minutes: true",
        ),
        ("[[sessions]]", "[zoom]\nbackfill_after_minutes = -5\n[[sessions]]", "backfill_after_minutes: -5"),
        ("[[sessions]]", "[zoom]\nstafff = []\n[[sessions]]", "zoom.stafff: unknown key"),
    ],
)
def test_odd_values_get_one_line_naming_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in COURSE_TOML
    path = write_course(tmp_path, COURSE_TOML.replace(old, new, 1))
    with pytest.raises(CourseError) as raised:
        load_course(path)
    text = str(raised.value)
    assert message in text and "\n" not in text, text


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("policy",), "strict", 'policy: "strict" is not a table'),
        (("schedule",), 3, "schedule: 3 is not a table"),
        (("zoom",), ["x"], 'zoom: ["x"] is not a table'),
        (("course",), [], "course: [] is not a table"),
        (("sessions",), {"week": 1}, "sessions: must be an array of tables"),
        (("course", "name"), 528, "course.name: 528 is not a non-empty string"),
        (("course", "name"), "", 'course.name: "" is not a non-empty string'),
        (("course", "skip"), [date(2021, 9, 23) + timedelta(weeks=i) for i in range(11)], "no weeks"),
        (("course", "first_session"), datetime(2021, 9, 23, 13, 0), "must be a date, not a date and time"),
        (("course", "ta_channel"), DELETE, "course.ta_channel: missing"),
    ],
)
def test_odd_shapes_get_one_line_naming_the_key(path: tuple[str, ...], value: object, message: str) -> None:
    raw = tomllib.loads(COURSE_TOML)
    *parents, key = path
    table = raw
    for name in parents:
        table = table[name]
    if value is DELETE:
        del table[key]
    else:
        table[key] = value
    with pytest.raises(CourseError) as raised:
        parse_course(raw)
    text = str(raised.value)
    assert message in text and "\n" not in text, text


def test_a_calendar_at_the_end_of_time_does_not_overflow(tmp_path: Path) -> None:
    text = COURSE_TOML.replace("2021-09-23", "9999-12-23").replace("2021-12-02", "9999-12-31")
    text = text.replace("skip = [2021-11-25]", "skip = []").replace("week = 1", "week = 2")
    course = load_course(write_course(tmp_path, text))
    assert [w.date for w in course.weeks] == [date(9999, 12, 23), date(9999, 12, 30)]


def test_both_parts_on_one_zoom_id_is_refused(tmp_path: Path) -> None:
    path = write_course(tmp_path, COURSE_TOML.replace('zoom_id = "81234567891"', 'zoom_id = "81234567890"'))
    with pytest.raises(
        CourseError, match=r"^schedule\.discussion\.zoom_id: 81234567890 is also the webinar's"
    ):
        load_course(path)


def test_zoom_table_is_optional_and_read(tmp_path: Path) -> None:
    assert load_course(write_course(tmp_path)).zoom == ZoomOptions(staff=(), backfill_after_minutes=30)
    text = (
        COURSE_TOML
        + '\n[zoom]\nstaff = ["speaker@example.com", " Moderator Name "]\nbackfill_after_minutes = 45\n'
    )
    zoom = load_course(write_course(tmp_path, text)).zoom
    assert zoom == ZoomOptions(staff=("speaker@example.com", "Moderator Name"), backfill_after_minutes=45)


toml_values = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["13:30", "14:45", "81234567890", "2021-09-23", "Thursday", "U0TA1", "C0TAS"])
    | st.dates()
    | st.times()
    | st.datetimes(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
KEYS = [
    ("course", "name"),
    ("course", "timezone"),
    ("course", "first_session"),
    ("course", "last_session"),
    ("course", "skip"),
    ("course", "ta_channel"),
    ("course", "questions_channel"),
    ("course", "tas"),
    ("schedule", "weekday"),
    ("schedule", "webinar"),
    ("schedule", "discussion"),
    ("policy", "min_presence"),
    ("policy", "min_questions"),
    ("policy", "max_absences"),
    ("policy", "reflection_sentences"),
    ("zoom", "staff"),
    ("zoom", "backfill_after_minutes"),
    ("sessions", "week"),
    ("sessions", "speaker"),
    ("sessions", "recording_url"),
    ("", "policy"),
    ("", "schedule"),
    ("", "zoom"),
    ("", "sessions"),
]
PART_KEYS = ("start", "end", "zoom_id")


def _get(table: object, key: str) -> object:
    return table.get(key) if isinstance(table, dict) else None


@settings(max_examples=400, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(
                KEYS + [("webinar", k) for k in PART_KEYS] + [("discussion", k) for k in PART_KEYS]
            ),
            toml_values,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_any_value_in_any_key_is_a_course_or_one_line_error(
    edits: list[tuple[tuple[str, str], object]],
) -> None:
    raw = tomllib.loads(COURSE_TOML)
    raw["zoom"] = {"staff": ["speaker@example.com"]}
    for (table, key), value in edits:
        parent = {
            "": raw,
            "sessions": next(iter(raw["sessions"]), None) if isinstance(raw.get("sessions"), list) else None,
            "webinar": _get(_get(raw, "schedule"), "webinar"),
            "discussion": _get(_get(raw, "schedule"), "discussion"),
        }.get(table, _get(raw, table))
        if isinstance(parent, dict):
            parent[key] = value
    try:
        course = parse_course(raw)
    except CourseError as exc:
        text = str(exc)
        assert text and "\n" not in text and ": " in text, text
        return
    assert course.weeks and 0 <= course.policy.min_presence <= 1
    lo, hi = course.policy.reflection_sentences
    assert type(lo) is int and type(hi) is int and 1 <= lo <= hi
    for value in (
        course.policy.min_questions,
        course.policy.max_absences,
        course.zoom.backfill_after_minutes,
    ):
        assert type(value) is int and value >= 0
    assert course.schedule["webinar"].zoom_id != course.schedule["discussion"].zoom_id
    assert course.schedule["webinar"].end <= course.schedule["discussion"].start
    assert all(isinstance(s, str) and s for s in (*course.tas, *course.zoom.staff))
