"""The playground's HTTP side: the page, its JSON API, and the endpoints that stand in for Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from bot.config import Settings
from bot.playground import actions, moves, replay, zoom_actions
from bot.playground.actions import PlayError
from bot.playground.demo import PEOPLE
from bot.playground.world import Secrets, World, build_world, course_json

STATIC = Path(__file__).parent / "static"
FILES = {"playground.js": "text/javascript", "playground.css": "text/css", "blocks.js": "text/javascript"}
MAX_WAIT = 25.0
Handler = Callable[[World, dict[str, Any]], dict[str, Any]]


class Playground:
    """The current demo world and the routes that drive it; `reset` swaps in a fresh world."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings = settings
        self.base_url = f"http://127.0.0.1:{port}/playground"
        self.secrets = Secrets()
        self.world = build_world(settings, self.base_url, self.secrets)

    def routes(self) -> list[BaseRoute]:
        """Everything under /playground (the bot's own copy of the app is mounted at /playground/bot)."""
        return [
            Route("/playground", self.page, methods=["GET"]),
            Mount(
                "/playground",
                routes=[
                    Route("/", self.page, methods=["GET"]),
                    Route("/static/{name}", self.static, methods=["GET"]),
                    Route("/api/state", self.state, methods=["GET"]),
                    Route("/api/send", self._post(send), methods=["POST"]),
                    Route("/api/zoom", self._post(zoom), methods=["POST"]),
                    Route("/api/clock", self._post(clock), methods=["POST"]),
                    Route("/api/reset", self.reset, methods=["POST"]),
                    Route("/slack/api/{method}", self._slack("api"), methods=["GET", "POST"]),
                    Route("/slack/response/{token}", self._slack("response_url"), methods=["POST"]),
                    Route("/slack/upload/{file_id}", self._slack("upload"), methods=["POST"]),
                    Route("/files/{file_id}", self._slack("download"), methods=["GET"]),
                    Mount("/bot", app=self.bot),
                ],
            ),
        ]

    async def bot(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The real app (create_app) of the current world: /bot/slack/events, /bot/zoom/webhook."""
        await self.world.bot(scope, receive, send)

    def close(self) -> None:
        """Stop the current world (tests, shutdown)."""
        self.world.close()

    async def page(self, _: Request) -> Response:
        """The playground page."""
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def static(self, request: Request) -> Response:
        """The page's script and style sheet (only these files)."""
        name = request.path_params["name"]
        if name not in FILES:
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(STATIC / name, media_type=FILES[name])

    async def state(self, request: Request) -> Response:
        """Everything the page shows; `?after=N` waits (up to `wait` seconds) for a newer version."""
        try:
            after = int(request.query_params.get("after", "-1"))
            wait = min(MAX_WAIT, float(request.query_params.get("wait", "20")))
        except ValueError:
            return JSONResponse({"error": "after and wait must be numbers"}, status_code=400)
        deadline = time.monotonic() + wait
        while self.world.workspace.version <= after and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return JSONResponse(snapshot(self.world))

    async def reset(self, _: Request) -> Response:
        """Start over: a fresh database, roster, clock and workspace."""
        await run_in_threadpool(self.start_over)
        return JSONResponse({"ok": True, "version": self.world.workspace.version})

    def start_over(self) -> None:
        """Close the world (after any action in progress) and build a fresh one."""
        old = self.world
        with old.lock:
            old.close()
            self.world = build_world(self.settings, self.base_url, self.secrets)
            self.world.workspace.version = old.workspace.version + 1

    def _slack(self, name: str) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint of the current world's fake Slack Web API."""

        async def endpoint(request: Request) -> Response:
            answer: Response = await getattr(self.world.api, name)(request)
            return answer

        return endpoint

    def _post(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return JSONResponse({"error": "the body must be JSON"}, status_code=400)
            if not isinstance(body, dict):
                return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
            world = self.world
            try:
                result = await run_in_threadpool(_locked, world, handler, body)
            except PlayError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse({"ok": True, **result, "version": world.workspace.version})

        return endpoint


def _locked(world: World, handler: Handler, body: dict[str, Any]) -> dict[str, Any]:
    """One action at a time, as one person at one keyboard would."""
    with world.lock:
        return handler(world, body)


def send(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """A command, a button press, a modal submission or close, or opening Home."""
    user = str(body.get("as", ""))
    if "command" in body:
        return actions.command(
            world,
            user,
            str(body["command"]),
            str(body.get("text", "")),
            str(body["channel"]) if body.get("channel") else None,
        )
    if isinstance(body.get("action"), dict):
        action = body["action"]
        value, where = action.get("value"), action.get("where")
        return actions.press(
            world,
            user,
            str(action.get("action_id", "")),
            None if value is None else str(value),
            None if where is None else str(where),
        )
    if isinstance(body.get("submit"), dict):
        return actions.submit(world, user, {str(k): str(v) for k, v in body["submit"].items()})
    if body.get("close"):
        return actions.close(world, user)
    if body.get("home"):
        return actions.open_home(world, user)
    raise PlayError('send needs "command", "action", "submit", "close" or "home" (and "as")')


def zoom(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Start, end, join, leave, or replay a whole week."""
    what = body.get("action")
    if what == "replay":
        return replay.replay(world)
    part = zoom_actions.part_of(body.get("part"))
    if what == "start":
        return zoom_actions.start(world, part)
    if what == "end":
        return zoom_actions.end(world, part)
    if what in ("join", "leave"):
        step = zoom_actions.join if what == "join" else zoom_actions.leave
        return step(world, part, str(body.get("as", "")))
    raise PlayError('zoom action must be "start", "end", "join", "leave" or "replay"')


def clock(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Move the clock; the answer lists what the scheduler did on the way."""
    lines = moves.advance(world, moves.target(world, body))
    return {"now": world.clock().isoformat(), "scheduler": lines}


def snapshot(world: World) -> dict[str, Any]:
    """GET /playground/api/state."""
    now = world.clock()
    return {
        **world.workspace.snapshot(),
        "now": now.isoformat(),
        "course": course_json(world),
        "people": [p.as_json() for p in PEOPLE],
        "zoom": zoom_actions.rooms_json(world),
        "presets": moves.presets_json(world),
        "log": list(world.log),
    }
