"""Slack text both ways: what a person typed from what Slack sends, and safe text to post back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Slack's own escaping rule: only these three characters are control characters in mrkdwn.
# Escaping `<` turns `<@U1>`, `<!channel>`, `<!subteam^S1>` and `<#C1>` into plain text.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
# In text from Slack a typed `<` is always `&lt;`, so every `<…>` is Slack's own markup.
_FROM_SLACK = re.compile(r"<([^<>]*)>|&(?:amp|lt|gt);")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
# A look-alike for the backtick, which no code span or block can contain (see code_block).
_BACKTICK_STANDIN = "\u02cb"


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` so Slack shows the text literally instead of parsing it."""
    return text.translate(_ESCAPES)


def unescape(text: str) -> str:
    """Undo Slack's `&amp;`/`&lt;`/`&gt;` in one pass, so a typed `&lt;` stays `&lt;`."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def typed(text: str) -> str:
    """What the person typed, from the text Slack sent: entities decoded, markup as it was shown."""

    def one(m: re.Match[str]) -> str:
        return _ENTITIES[m.group(0)] if m.group(1) is None else shown(m.group(1))

    return _FROM_SLACK.sub(one, text)


def command_text(command: Mapping[str, Any]) -> str:
    """A slash command's free text as the person typed it (every command that stores text reads it here)."""
    return typed(str(command.get("text") or ""))


def shown(markup: str) -> str:
    """How Slack showed one `<…>` (without brackets): `@U1|ada` → `@ada`, a link → its label."""
    target, _, label = markup.partition("|")
    target, label = unescape(target), unescape(label)
    if target.startswith(("@", "#")):
        return target[0] + label.lstrip("@#") if label else target
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    return label or target.removeprefix("mailto:")


def link_target(markup: str) -> str:
    """The address of a `<…>` link (without brackets): `https://x?a=1&amp;b=2|x` → `https://x?a=1&b=2`."""
    return unescape(markup.partition("|")[0]).removeprefix("mailto:")


def quote(text: str) -> str:
    """Escaped text as a mrkdwn block quote, line by line."""
    return "\n".join(f">{line}" for line in escape(text).split("\n"))


def code_safe(text: str) -> str:
    """Escaped text that cannot end a code span or block: each backtick becomes a look-alike."""
    return escape(text).replace("`", _BACKTICK_STANDIN)


def code_block(text: str) -> str:
    """User text as a mrkdwn code block that stays one block whatever the text holds."""
    return f"```{code_safe(text)}```"


def code_span(text: str) -> str:
    """User text as inline code that stays one span whatever the text holds."""
    return f"`{code_safe(text)}`"
