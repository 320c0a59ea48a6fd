"""The fakes behave like the real services for the real clients (slack_sdk and zoomus)."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from zoomus import ZoomClient

from tests.fakes.slack_api import FakeSlack
from tests.fakes.zoom_api import FakeZoom


def test_slack_fake_records_and_injects(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    sent = client.chat_postMessage(channel="U0ADA", text="hi")
    assert sent["channel"] == "D0ADA"
    assert fake_slack.calls_to("chat.postMessage")[0].body["text"] == "hi"
    fake_slack.fail("chat.update", error="message_not_found")
    with pytest.raises(SlackApiError):
        client.chat_update(channel="C1", ts="1.2", text="x")
    fake_slack.fail("chat.postMessage", status=429, retry_after=0)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    client.chat_postMessage(channel="C1", text="again")
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
    fake_slack.add_user("U0ADA", "ada@example.edu", "Ada")
    assert client.users_info(user="U0ADA")["user"]["profile"]["email"] == "ada@example.edu"
    upload = client.files_upload_v2(channel="C0TAS", content="a,b\n", filename="x.csv", title="x")
    assert upload["ok"] and list(fake_slack.uploads.values()) == [b"a,b\n"]


def test_zoom_fake_with_zoomus(fake_zoom: FakeZoom) -> None:
    fake_zoom.set_pages(
        "/v2/report/webinars/81234567890/participants", [{"participants": [1]}, {"participants": [2]}]
    )
    client = ZoomClient(
        fake_zoom.client_id,
        fake_zoom.client_secret,
        fake_zoom.account_id,
        base_uri=fake_zoom.api_url,
        oauth_uri=fake_zoom.oauth_url,
    )
    first = client.report.get_webinar_participants_report(id="81234567890", page_size=300).json()
    assert first["participants"] == [1] and first["next_page_token"] == "1"
    second = client.report.get_webinar_participants_report(id="81234567890", next_page_token="1").json()
    assert second["next_page_token"] == ""
    fake_zoom.expire_tokens()
    assert client.report.get_webinar_participants_report(id="81234567890").status_code == 401
    client.refresh_token()
    assert client.report.get_webinar_participants_report(id="81234567890").status_code == 200
