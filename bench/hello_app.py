"""The ceiling: a hello-world ASGI app served by uvicorn with the same flags as `seminar-bot serve`."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

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
    """`python -m bench.hello_app PORT` — the flags mirror bot/cli/main.py's `serve`."""
    uvicorn.run(app, host="0.0.0.0", port=int(sys.argv[1]), log_level="info")


if __name__ == "__main__":
    main()
