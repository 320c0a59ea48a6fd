"""The TA Home for a 500-student class within Block Kit's limits; the gradebook's credit rule and CSV."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.slack.views.standing_blocks import home_view
from handlers.slack.views.ta_home_blocks import HOME_BLOCKS, ta_home_blocks
from rules.course_file import parse_course
from rules.credit import ClassRecord, StudentRecord, WeekRecord, credit_of
from rules.export import GRADE_FIELDS, to_grades_csv
from rules.presence import UnmatchedPresence
from storage.models import Student
from tests.factories import COURSE_TOML, local

LONG_COURSE = COURSE_TOML.replace("last_session = 2021-12-02", "last_session = 2023-12-02")


def week(n: int, *, ended: bool = True, absent: bool = False, reflection: str = "on_time") -> WeekRecord:
    return WeekRecord(n, ended, 60, not absent, 30, not absent, 2, reflection, absent, False, "", False)  # type: ignore[arg-type]


def big_class(students: int, weeks: int, unmatched: int) -> ClassRecord:
    """Everyone at risk with long reasons, and many unmatched Zoom participants."""
    course = parse_course(tomllib.loads(LONG_COURSE))
    records = [
        StudentRecord(
            Student(id=i, name=f"Student `{i}` <&> " + "x" * 60, email=f"s{i}@example.edu"),
            [week(n, absent=n % 3 == 0) for n in range(1, weeks + 1)],
            weeks // 3,
            2 * weeks,
            weeks,
            "no_credit" if i % 7 == 0 else "at_risk",
            [f"Week {n}: missed; watch the recording and tell the bot." for n in range(3, weeks + 1, 3)],
        )
        for i in range(1, students + 1)
    ]
    now = local(2023, 12, 30)
    last = course.weeks[-1].number
    others = [
        UnmatchedPresence(last, "webinar", f"Guest {i} " + "y" * 150, f"g{i}@x.org", 12.5)
        for i in range(unmatched)
    ]
    return ClassRecord(course, now, records, others)


def test_a_500_student_class_fits_block_kit() -> None:
    record = big_class(500, 104, 60)
    blocks = ta_home_blocks(record.course, record, record.generated_at)
    assert len(blocks) <= HOME_BLOCKS
    View(**home_view(blocks)).validate_json()
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        for text in _texts(block):
            assert len(text) <= 3000
    text = json.dumps(blocks, ensure_ascii=False)
    assert "…and 460 more" in text and "…and 35 more: `/seminar unmatched`" in text
    assert "are left out for space" in text and "*Student `105` &lt;&amp;&gt; " in text


def _texts(block: dict[str, Any]) -> list[str]:
    texts = [str(block["text"]["text"])] if isinstance(block.get("text"), dict) else []
    elements = block.get("elements", [])
    return texts + [str(e["text"]) for e in elements if isinstance(e.get("text"), str)]


def test_an_empty_class_before_week_1() -> None:
    course = parse_course(tomllib.loads(COURSE_TOML))
    record = ClassRecord(course, local(2021, 9, 1), [], [])
    text = json.dumps(ta_home_blocks(course, record, record.generated_at))
    assert "No week has ended yet" in text and "Everyone is on track" in text
    assert "No session has started" in text


def test_credit_is_pending_while_anything_can_change() -> None:
    def record(standing: str, weeks: list[WeekRecord]) -> StudentRecord:
        return StudentRecord(Student(id=1, name="A", email="a@x"), weeks, 0, 0, 0, standing, [])  # type: ignore[arg-type]

    done = [week(1), week(2)]
    assert credit_of(record("on_track", done)) == "CR"
    assert credit_of(record("at_risk", done)) == "NC"
    assert credit_of(record("no_credit", [week(1), week(2, ended=False)])) == "NC"
    assert credit_of(record("on_track", [week(1), week(2, ended=False)])) == "pending"
    assert credit_of(record("at_risk", [week(1), week(2, reflection="not_due")])) == "pending"


def test_gradebook_csv_has_one_row_per_student_and_safe_cells() -> None:
    record = big_class(3, 2, 0)
    record.students[0].student.name = "=HYPERLINK(1)"
    rows = list(csv.DictReader(io.StringIO(to_grades_csv(record))))
    assert tuple(rows[0]) == GRADE_FIELDS and len(rows) == 3
    assert rows[0]["name"] == "'=HYPERLINK(1)" and rows[0]["credit"] == "NC"
    assert {r["credit"] for r in rows} == {"NC"} and rows[1]["standing"] == "at_risk"
