"""Zoom webhook: verify over the raw body, answer URL validation, store, then acknowledge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers import Deps


@dataclass(frozen=True)
class WebhookReply:
    """The HTTP answer for Zoom."""

    status: int
    body: dict[str, Any]


def receive(deps: Deps, secret: str, headers: Mapping[str, str], raw: bytes) -> WebhookReply:
    """Handle one delivery (to be built in issue 3)."""
    return WebhookReply(503, {"error": "Zoom event handling is not built yet"})
