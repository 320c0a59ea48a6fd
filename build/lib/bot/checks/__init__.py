"""`seminar-bot doctor`'s checks, grouped by what they check; each returns Check results."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TIMEOUT_SECONDS = 10  # every Slack and Zoom call doctor makes gives up after this long


class Status(StrEnum):
    """A check passed, failed (with a fix), or could not run because an earlier one failed."""

    ok = "ok"
    fail = "FAIL"
    skip = "skip"


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, what was found, and the fix when it failed."""

    section: str
    name: str
    status: Status
    detail: str
    fix: str = ""


def passed(section: str, name: str, detail: str) -> Check:
    """A check that passed."""
    return Check(section, name, Status.ok, detail)


def failed(section: str, name: str, detail: str, fix: str) -> Check:
    """A check that failed, with what to do about it."""
    return Check(section, name, Status.fail, detail, fix)


def skipped(section: str, name: str, reason: str) -> Check:
    """A check that could not run until an earlier failure is fixed."""
    return Check(section, name, Status.skip, reason)
