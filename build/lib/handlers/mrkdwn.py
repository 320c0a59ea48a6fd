"""Make user text safe to repost in Slack: no live mentions, broadcasts or links."""

from __future__ import annotations

# Slack's own escaping rule: only these three characters are control characters in mrkdwn.
# Escaping `<` turns `<@U1>`, `<!channel>`, `<!subteam^S1>` and `<#C1>` into plain text.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` so Slack shows the text literally instead of parsing it."""
    return text.translate(_ESCAPES)


def quote(text: str) -> str:
    """Escaped text as a mrkdwn block quote, line by line."""
    return "\n".join(f">{line}" for line in escape(text).split("\n"))
