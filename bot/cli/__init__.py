"""The `seminar-bot` command line: main.py (serve, db, roster, report), jobs, zoom and doctor."""

from bot.cli.main import app, main

__all__ = ["app", "main"]
