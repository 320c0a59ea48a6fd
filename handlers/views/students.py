"""Replies about who may use the student commands."""

from __future__ import annotations


def refusal(course_name: str, *, dropped: bool, nothing_saved: bool = True) -> str:
    """Why someone off the roster (or dropped) can't use the student commands, and what to do."""
    saved = ", so nothing was saved" if nothing_saved else ""
    if dropped:
        return (
            f"You're marked as dropped from {course_name}{saved}. If that's a mistake, please talk to a TA."
        )
    return (
        f"I couldn't find you on the roster for {course_name}{saved}. If you're taking the seminar, "
        "ask a TA to add the email address your Slack account uses."
    )
