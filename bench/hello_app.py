"""The ceiling: a hello-world ASGI app served by uvicorn with the same flags as `seminar-bot serve`."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli.main import run_server

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
BODY = b'{"ok":true}'


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Read the whole request body, answer 200 with a tiny JSON body; nothing else."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    """`python -m bench.hello_app PORT` — through `serve`'s own uvicorn call (bot/cli/main.py)."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    run_server(app, int(sys.argv[1]))


if __name__ == "__main__":
    main()
