"""What a Slack request body must hold before Bolt reads it: Bolt indexes these fields unchecked."""

from __future__ import annotations

from typing import Any

# Fields Bolt reads as "a string or an object with an id" when building a request's context
# (slack_bolt/request/internals.py build_context).
_ID_OR_OBJECT = ("user", "channel", "team", "enterprise")
# Fields Bolt and our listeners read as objects whenever they are present.
_OBJECTS = ("view", "event", "message", "container", "state")
# What each kind of request must carry, as dotted paths to non-empty strings.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "command": ("command", "user_id", "trigger_id"),
    "block_actions": ("user.id", "trigger_id", "actions.0.action_id"),
    "view_submission": ("user.id", "view.type", "view.callback_id"),
    "view_closed": ("user.id", "view.type", "view.callback_id"),
    "event_callback": ("event.type",),
}
# What each event our listeners handle must carry, as for _REQUIRED.
_EVENT_REQUIRED: dict[str, tuple[str, ...]] = {"app_home_opened": ("event.user",)}


def problem(body: dict[str, Any]) -> str | None:
    """Why `body` is not a Slack request we can hand to Bolt, or None when it is well formed."""
    kind = "command" if "command" in body else body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "`type` is not a string"
    for field in _ID_OR_OBJECT:
        if body.get(field) is not None and not isinstance(body[field], str | dict):
            return f"`{field}` is neither a string nor an object"
    for field in _OBJECTS:
        if field in body and not isinstance(body[field], dict):
            return f"`{field}` is not an object"
    for field in ("actions", "authorizations", "response_urls"):
        if field in body and not _list_of_objects(body[field]):
            return f"`{field}` is not a list of objects"
    event_type = body["event"].get("type") if kind == "event_callback" and "event" in body else None
    for path in (*_REQUIRED.get(kind or "", ()), *_EVENT_REQUIRED.get(str(event_type), ())):
        if not _string_at(body, path):
            return f"{kind if event_type is None else event_type} without `{path}`"
    return _view_problem(body.get("view"))


def _view_problem(view: Any) -> str | None:
    """A modal's fields our listeners read: `private_metadata` text, `state.values` by block and action."""
    if not isinstance(view, dict):
        return None
    if view.get("private_metadata") is not None and not isinstance(view["private_metadata"], str):
        return "`view.private_metadata` is not a string"
    state = view.get("state")
    if state is None:
        return None
    values = state.get("values", {}) if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
        for block in values.values()
    ):
        return "`view.state.values` is not an object of blocks of input objects"
    return None


def _list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _string_at(body: dict[str, Any], path: str) -> bool:
    """True when the dotted `path` (list indexes as digits) leads to a non-empty string."""
    node: Any = body
    for key in path.split("."):
        if isinstance(node, list) and key.isdecimal() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return False
    return isinstance(node, str) and node != ""
