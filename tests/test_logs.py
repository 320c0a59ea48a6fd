"""Secrets never reach the log: what `configure_logging` installs, in a fresh process, and `serve` itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.factories import write_course
from tests.process import ROOT, clean_env, serve

TOKEN = "xoxb-1111-2222-abcdefabcdef"
SIGNING = "signing-secret-0123456789"
WEBHOOK = "zoom-webhook-token-987654"
CLIENT = "zoom-client-secret-ABCDEF"
SECRETS = (TOKEN, SIGNING, WEBHOOK, CLIENT)

SCRIPT = f"""
import logging
from bot.config import Settings
from bot.logs import configure_logging

configure_logging(Settings(slack_bot_token={TOKEN!r}, slack_signing_secret={SIGNING!r},
                           zoom_webhook_secret_token={WEBHOOK!r}, zoom_client_secret={CLIENT!r}))
logging.getLogger("handlers.jobs").warning("token %s and %s", {TOKEN!r}, {SIGNING!r})
try:
    raise RuntimeError("refused: " + {WEBHOOK!r})
except RuntimeError:
    logging.getLogger("bot.app").exception("listener failed with %s", {CLIENT!r})
logging.getLogger("slack_bolt.App").error("Invalid request signature detected (signature: %s)", {SIGNING!r})
logging.getLogger("uvicorn.error").error("startup: %s", {TOKEN!r})
access = logging.getLogger("uvicorn.access")
access.info('%s - "%s %s HTTP/%s" %d', "1.2.3.4", "GET", "/x?t=" + {CLIENT!r}, "1.1", 200)
"""


def test_configure_logging_redacts_messages_tracebacks_and_library_loggers() -> None:
    env = clean_env({"PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" in output and "RuntimeError: refused: ***" in output
    assert "token *** and ***" in output and "GET /x?t=*** HTTP/1.1" in output
    assert "uvicorn.error: startup: ***" in output and "signature: ***" in output
    for secret in SECRETS:
        assert secret not in output


def test_serve_redacts_uvicorn_access_log(tmp_path: Path) -> None:
    """The real `seminar-bot serve`: a secret in a request's query string is not logged."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "COURSE_FILE": str(write_course(tmp_path)),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING,
        "ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK,
    }
    with serve(env, tmp_path) as server:
        assert httpx.get(f"{server.url}/healthz", params={"t": SIGNING}).status_code == 200
        assert httpx.get(f"{server.url}/nowhere/{TOKEN}").status_code == 404
    log = server.log.read_text()
    assert "GET /healthz?t=*** HTTP/1.1" in log and "GET /nowhere/*** HTTP/1.1" in log
    for secret in SECRETS:
        assert secret not in log


def test_serve_at_warning_writes_no_access_log_line(tmp_path: Path) -> None:
    """LOG_LEVEL=WARNING holds for uvicorn's access log too: no INFO line per request."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "COURSE_FILE": str(write_course(tmp_path)),
        "LOG_LEVEL": "WARNING",
    }
    with serve(env, tmp_path) as server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert httpx.get(f"{server.url}/nowhere").status_code == 404
    log = server.log.read_text()
    assert "GET /healthz" not in log and "GET /nowhere" not in log and " INFO " not in log
