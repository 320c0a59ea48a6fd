"""Who is asking: stored Slack id, else users.info email → roster, remembered."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.runtime import Runtime
from handlers.slack.accounts import is_ta, resolve_student
from storage.db import session_scope
from tests.factories import add_student
from tests.fakes.slack_api import FakeSlack


def test_resolve_by_id_then_email(runtime: Runtime, fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    with session_scope(runtime.engine) as session:
        add_student(session, "Ada", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Bob", "bob@example.edu")
    deps = runtime.deps
    ada = resolve_student(deps, client, "U0ADA")
    assert ada and ada.email == "ada@example.edu"
    assert fake_slack.calls_to("users.info") == []
    fake_slack.add_user("U0BOB", "BOB@example.edu", "Bob")
    bob = resolve_student(deps, client, "U0BOB")
    assert bob and bob.slack_user_id == "U0BOB"
    assert resolve_student(deps, client, "U0BOB") is not None
    assert len(fake_slack.calls_to("users.info")) == 1
    fake_slack.add_user("U0EVE", "eve@example.edu", "Eve")
    assert resolve_student(deps, client, "U0EVE") is None
    assert resolve_student(deps, client, "U0NOBODY") is None
    assert is_ta(deps, "U0TA1") and not is_ta(deps, "U0ADA")
