"""Run the real ASGI app under uvicorn on a free port in a thread, for real HTTP tests."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import uvicorn


class FrozenClock:
    """An injectable clock that tests move by hand (or that moves on by `step` at every read)."""

    def __init__(self, now: datetime, step: timedelta | None = None) -> None:
        self.now = now
        self.step = step

    def __call__(self) -> datetime:
        """The current instant; a stepping clock then moves on."""
        now = self.now
        if self.step is not None:
            self.now = now + self.step
        return now

    def set(self, now: datetime) -> None:
        """Move to another instant."""
        self.now = now


def bound_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1 (its port is known before the app is built)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """uvicorn serving an ASGI app on 127.0.0.1:<free port>."""

    def __init__(self, app: Any, sock: socket.socket | None = None) -> None:
        self.sock = sock or bound_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
