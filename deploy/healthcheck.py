"""Exit 0 when seminar-bot's /healthz on $PORT answers 200 (the container's HEALTHCHECK)."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def healthy(port: str) -> bool:
    """True when /healthz answers 200 within 4 seconds (it is 503 while the database is down)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


if __name__ == "__main__":
    sys.exit(0 if healthy(os.environ.get("PORT", "3000")) else 1)
