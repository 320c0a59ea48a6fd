"""Every CSV the bot writes is safe to open in a spreadsheet, and reads back to the text stored."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.export import FORMULA_STARTS, write_csv

# What may stand before a formula character in a cell some spreadsheet still runs.
PADDING = st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x1f\x85\u00a0\u2028\u3000\"'", max_size=3)
NAMES = st.one_of(
    st.text(max_size=30),
    st.tuples(st.sampled_from(FORMULA_STARTS + ("'", '"', ",", "\n")), st.text(max_size=20)).map("".join),
    st.tuples(PADDING, st.sampled_from(FORMULA_STARTS), st.text(max_size=20)).map("".join),
)


def runs_as_formula(cell: str) -> bool:
    """A cell a spreadsheet may run: a formula character after any whitespace (any that Python
    calls whitespace, control separators like U+001F included) and quotes."""
    rest = cell
    while rest and (rest[0].isspace() or rest[0] in "\"'"):
        rest = rest[1:]
    return cell.startswith(FORMULA_STARTS) or rest.startswith(FORMULA_STARTS)


@settings(max_examples=300)
@given(st.lists(NAMES, min_size=1, max_size=5), st.integers(min_value=0, max_value=10**6))
def test_no_cell_starts_a_formula_and_text_reads_back(names: list[str], number: int) -> None:
    content = write_csv(("name", "minutes"), [{"name": n, "minutes": number} for n in names])
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    assert len(rows) == len(names)
    for name, row in zip(names, rows, strict=True):
        cell = row["name"]
        assert cell == ("'" + name if runs_as_formula(name) else name)
        assert row["minutes"] == str(number)
