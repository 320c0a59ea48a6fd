"""The playground page in headless Chromium: type /ask, see the reply, see the tally change."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, Browser
from tests.playground_live import Live, serve_playground

SCREENSHOT = os.environ.get("SCREENSHOT_TO")  # e.g. docs/playground.png, for the README


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium (`make test` installs it)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    chromium = Browser()
    yield chromium
    chromium.close()


def shown(browser: Browser, selector: str) -> str:
    """The visible text of an element."""
    return str(browser.evaluate(f"document.querySelector({json.dumps(selector)}).innerText"))


def wait_text(browser: Browser, selector: str, text: str) -> None:
    """Wait until the element shows `text`."""
    browser.wait_for(
        f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText?.includes({json.dumps(text)})"
    )


def test_type_ask_see_the_reply_and_the_tally(tmp_path: Path, course_file: Path, browser: Browser) -> None:
    with serve_playground(tmp_path, course_file) as live:
        browser.goto(live.url + "/playground")
        wait_text(browser, "#presets", "the next webinar starts")
        browser.click("#presets .preset")  # jump to the webinar: /ask opens
        wait_text(browser, "#now", "1:30")
        _ask(browser, live, "Is p99 > p50 & *why*?")
        wait_text(browser, "#messages", "Got it — you've asked 1 question")
        assert "Only visible to you" in shown(browser, "#messages")
        browser.click("#channels li:nth-child(3)")  # #ta-room
        wait_text(browser, "#messages", "1 question so far")
        browser.click("#channels li:nth-child(1)")
        _ask(browser, live, "And a second one?")
        wait_text(browser, "#messages", "You've met this week's minimum")
        browser.click("#channels li:nth-child(3)")
        wait_text(browser, "#messages", "2 questions so far")
        browser.click("#channels li:nth-child(2)")  # #questions: Slack's mrkdwn, rendered
        wait_text(browser, "#messages", "Question from Ada Lovelace")
        assert browser.evaluate("document.querySelector('#messages blockquote') !== null")
        assert browser.errors == []
        if SCREENSHOT:
            browser.click("#channels li:nth-child(3)")
            wait_text(browser, "#messages", "2 questions so far")
            browser.screenshot(SCREENSHOT)


def _ask(browser: Browser, live: Live, text: str) -> None:
    """Type the command into the composer and press Enter, as a person would."""
    browser.type("#command", f"/ask {text}", enter=True)
    browser.wait_for("document.querySelector('#command').value === ''")
