"""The app `serve` runs, with the playground attached, under uvicorn on a free port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.config import Settings
from bot.playground.mount import attach
from bot.playground.routes import Playground
from bot.runtime import Runtime, build_runtime
from bot.web import create_app
from storage.db import upgrade
from tests.live import LiveServer, bound_socket


@dataclass
class Live:
    """The running app, an HTTP client, the playground and the real runtime beside it."""

    url: str
    http: httpx.Client
    playground: Playground
    runtime: Runtime

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to /playground/api/<path>; the JSON answer (asserting 200)."""
        answer = self.http.post(f"/playground/api/{path}", json=body)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    def state(self) -> dict[str, Any]:
        """GET /playground/api/state."""
        data: dict[str, Any] = self.http.get("/playground/api/state", params={"wait": 0}).json()
        return data

    def wait(self, check: Any, timeout: float = 15.0) -> dict[str, Any]:
        """The state once `check(state)` holds (the bot's post-ack work is asynchronous)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if check(state):
                return state
            assert time.monotonic() < deadline, f"timed out; state: {state['conversations']}"
            time.sleep(0.1)


@contextmanager
def serve_playground(tmp_path: Path, course_file: Path, **settings: Any) -> Iterator[Live]:
    """`seminar-bot serve` as the CLI assembles it (no Slack configured unless given)."""
    config = Settings(
        database_url=f"sqlite:///{tmp_path / 'real.db'}",
        course_file=course_file,
        playground_db=tmp_path / "playground.db",
        **settings,
    )
    runtime = build_runtime(config)
    upgrade(runtime.engine)
    sock = bound_socket()
    app = create_app(runtime)
    playground = attach(app, config, sock.getsockname()[1])
    assert playground is not None
    try:
        with LiveServer(app, sock=sock) as server, direct_client(server.url) as http:
            yield Live(server.url, http, playground, runtime)
    finally:
        playground.close()
        runtime.engine.dispose()


def direct_client(url: str) -> httpx.Client:
    """A client for the app under test that never goes through a proxy from the environment."""
    return httpx.Client(base_url=url, timeout=60, trust_env=False)


def messages(state: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The messages of a channel (`#ta-room`) or of someone's DM with the bot (their name)."""
    return next(c["messages"] for c in state["conversations"] if c["name"] == name)


def texts(state: dict[str, Any], name: str) -> list[str]:
    """Each message's text in a conversation."""
    return [m["text"] for m in messages(state, name)]
