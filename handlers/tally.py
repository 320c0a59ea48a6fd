"""The live question tally in the TA channel (built in issue 5).

`note_question` is called by /ask after a question is stored; it must return quickly.
"""

from __future__ import annotations

from slack_sdk import WebClient

from handlers import Deps


def note_question(deps: Deps, client: WebClient, week: int) -> None:
    """A question was stored for `week`: bring the week's tally message up to date (soon)."""
