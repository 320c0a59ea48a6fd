"""Oversized bodies are refused (413) before the server reads them in full."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.conftest import Live

CHUNK = 100_000


def _connect(live: Live) -> socket.socket:
    parts = urlsplit(live.url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=5)
    return sock


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("path", ["/zoom/webhook", "/slack/events"])
def test_declared_length_over_limit_is_refused_without_reading(live: Live, path: str) -> None:
    """Only the headers are sent: the 413 comes back without waiting for 50 MB that never arrive."""
    with _connect(live) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            f"content-length: 50000000\r\n\r\n".encode()
        )
        assert _status(sock.recv(4096)) == 413


@pytest.mark.parametrize("path", ["/zoom/webhook", "/slack/events"])
def test_streamed_body_is_cut_off_soon_after_the_limit(live: Live, path: str) -> None:
    """A chunked body with no length: the server answers 413 once it has seen ~1 MB, not 10 MB."""
    with _connect(live) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".encode())
        sock.settimeout(0.05)
        sent, answer = 0, b""
        while sent < 10_000_000 and not answer:
            try:
                sock.sendall(b"%x\r\n" % CHUNK + b"y" * CHUNK + b"\r\n")
                sent += CHUNK
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:  # the server closed while we were still sending: read its answer
                break
        sock.settimeout(5)
        answer = answer or sock.recv(4096)
    assert _status(answer) == 413
    assert sent <= 2_000_000
