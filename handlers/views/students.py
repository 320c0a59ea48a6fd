"""Replies about who may use the student commands."""

from __future__ import annotations


def not_on_roster(course_name: str) -> str:
    """The asker is not on the roster: say so and what to do."""
    return (
        f"I couldn't find you on the roster for {course_name}, so nothing was saved. "
        "If you're taking the seminar, ask a TA to add the email address your Slack account uses."
    )


def dropped(course_name: str) -> str:
    """The asker was dropped from the roster."""
    return (
        f"You're marked as dropped from {course_name}, so nothing was saved. "
        "If that's a mistake, please talk to a TA."
    )
