"""Numbers a user or a button sends: ASCII digits only, since `int()` and `isdigit()` accept `²` and `٣`."""

from __future__ import annotations

import re
from typing import Any

_DIGITS = re.compile(r"[0-9]{1,6}")


def ascii_number(value: str) -> int | None:
    """`value` as a non-negative integer when it is 1-6 ASCII digits and nothing else, else None."""
    return int(value) if _DIGITS.fullmatch(value) else None


def clicked_value(body: dict[str, Any]) -> str:
    """The clicked button's value, as sent (untrusted: parse it before use)."""
    clicked = (body.get("actions") or [{}])[0]
    return str(clicked.get("value") or "")
