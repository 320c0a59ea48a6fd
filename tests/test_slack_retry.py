"""Client-level retries: a call that may have landed is never resent; safe ones are retried."""

from __future__ import annotations

from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.app import make_web_client
from bot.config import Settings
from bot.scheduler import scheduler_client
from bot.slack_retry import SafeConnectionRetry
from tests.fakes.slack_api import FakeSlack


@pytest.fixture(params=["app", "scheduler"])
def client(request: pytest.FixtureRequest, settings: Settings) -> WebClient:
    """Every client the bot builds: the app's (listeners, tally, export upload) and the scheduler's."""
    return make_web_client(settings) if request.param == "app" else scheduler_client(settings)


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 503}, {"drop": True}], ids=["500", "503", "drop"]
)
def test_a_post_that_landed_is_not_resent(
    client: WebClient, fake_slack: FakeSlack, fault: dict[str, object]
) -> None:
    fake_slack.fail("chat.postMessage", landed=True, **fault)  # type: ignore[arg-type]
    with pytest.raises((SlackApiError, RemoteDisconnected)):
        client.chat_postMessage(channel="C0QNA", text="once")
    assert len(fake_slack.posted("C0QNA")) == 1 and len(fake_slack.calls_to("chat.postMessage")) == 1


def test_an_upload_that_landed_is_not_completed_twice(client: WebClient, fake_slack: FakeSlack) -> None:
    fake_slack.fail("files.completeUploadExternal", status=500, landed=True)
    with pytest.raises(SlackApiError):
        client.files_upload_v2(channel="C0TAS", content="a,b\n", filename="x.csv", title="x")
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 503}, {"drop": True}], ids=["500", "503", "drop"]
)
def test_reads_are_retried(client: WebClient, fake_slack: FakeSlack, fault: dict[str, object]) -> None:
    fake_slack.add_user("U0ADA", "ada@example.edu", "Ada")
    fake_slack.fail("users.info", **fault)  # type: ignore[arg-type]
    assert client.users_info(user="U0ADA")["user"]["id"] == "U0ADA"
    assert len(fake_slack.calls_to("users.info")) == 2


def test_a_429_post_is_retried_by_the_app_client(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=429, retry_after=0)
    make_web_client(settings).chat_postMessage(channel="C0QNA", text="once")
    assert len(fake_slack.posted("C0QNA")) == 1


def request(method: str) -> HttpRequest:
    return HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})


@pytest.mark.parametrize(
    ("error", "method", "retried"),
    [
        (URLError(ConnectionRefusedError()), "chat.postMessage", True),  # never reached Slack
        (ConnectionRefusedError(), "files.completeUploadExternal", True),
        (RemoteDisconnected(), "chat.postMessage", False),  # may have landed
        (ConnectionResetError(), "chat.postMessage", False),
        (TimeoutError(), "chat.postMessage", False),
        (URLError(TimeoutError()), "chat.postMessage", False),
        (RemoteDisconnected(), "users.info", True),
        (TimeoutError(), "conversations.history", True),
    ],
)
def test_connection_errors_are_retried_only_when_safe(error: Exception, method: str, retried: bool) -> None:
    handler = SafeConnectionRetry()
    assert handler.can_retry(state=RetryState(), request=request(method), error=error) is retried
