"""Every CSV the bot writes is safe to open in a spreadsheet, and reads back to the text stored."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.export import FORMULA_STARTS, write_csv

NAMES = st.one_of(
    st.text(max_size=30),
    st.tuples(st.sampled_from(FORMULA_STARTS + ("'", '"', ",", "\n")), st.text(max_size=20)).map("".join),
)


@settings(max_examples=300)
@given(st.lists(NAMES, min_size=1, max_size=5), st.integers(min_value=0, max_value=10**6))
def test_no_cell_starts_a_formula_and_text_reads_back(names: list[str], number: int) -> None:
    content = write_csv(("name", "minutes"), [{"name": n, "minutes": number} for n in names])
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    assert len(rows) == len(names)
    for name, row in zip(names, rows, strict=True):
        cell = row["name"]
        assert not cell.startswith(FORMULA_STARTS)
        assert cell == name or (name.startswith(FORMULA_STARTS) and cell == "'" + name)
        assert row["minutes"] == str(number)
