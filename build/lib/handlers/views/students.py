"""Replies about who may use the student commands."""

from __future__ import annotations

from typing import Literal

Why = Literal["off_roster", "dropped", "ta"]


def refusal(course_name: str, why: Why, *, nothing_saved: bool = True) -> str:
    """Why someone can't use the student commands, and what to do about it."""
    saved = ", so nothing was saved" if nothing_saved else ""
    if why == "ta":
        return (
            f"You're a TA for {course_name} and not on the student roster{saved}. "
            "`/seminar help` lists the TA commands; `/seminar report` shows every student's record."
        )
    if why == "dropped":
        return (
            f"You're marked as dropped from {course_name}{saved}. If that's a mistake, please talk to a TA."
        )
    return (
        f"I couldn't find you on the roster for {course_name}{saved}. If you're taking the seminar, "
        "ask a TA to add the email address your Slack account uses."
    )
