"""The Zoom connection's credentials: Server-to-Server OAuth tokens and the zoomus client, every call timed.

zoomus asks for its token with `requests.post` and no timeout (zoomus/util.py `generate_token`),
both when the client is built and in `refresh_token`, and builds its components with a fixed
15 s timeout whatever the client was given. `TimedZoomClient` replaces that one token call with
`fetch_token` and gives every component the client's timeout; everything else is zoomus's.
"""

from __future__ import annotations

import base64
from typing import Any

import requests
from zoomus import ZoomClient, util
from zoomus.client import COMPONENT_CLASSES

from bot.config import Settings
from handlers.zoom.api import ZoomApi, ZoomApiError

API_TIMEOUT = 30  # seconds for one Zoom request (zoomus wants whole seconds)


def request_token(settings: Settings, timeout: float = API_TIMEOUT) -> requests.Response:
    """The one Server-to-Server OAuth token request (account_credentials grant), with a timeout."""
    basic = base64.b64encode(f"{settings.zoom_client_id}:{settings.zoom_client_secret}".encode()).decode()
    return requests.post(
        settings.zoom_oauth_url,
        data={"grant_type": "account_credentials", "account_id": settings.zoom_account_id},
        headers={"Authorization": f"Basic {basic}"},
        timeout=timeout,
    )


def issued_token(response: requests.Response) -> str | None:
    """The access token a token response carries, if it carries one."""
    try:
        token = response.json().get("access_token")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) and token else None


def fetch_token(settings: Settings, timeout: float = API_TIMEOUT) -> str:
    """A Server-to-Server OAuth access token, or ZoomApiError saying why not."""
    try:
        response = request_token(settings, timeout)
    except requests.RequestException as exc:
        raise ZoomApiError(
            f"cannot get a Zoom token from {settings.zoom_oauth_url} ({type(exc).__name__})"
        ) from None
    token = issued_token(response)
    if token is None:
        raise ZoomApiError(
            f"Zoom issued no token ({response.status_code}): "
            "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET",
            response.status_code,
        )
    return token


class TimedZoomClient(ZoomClient):  # type: ignore[misc]  # zoomus has no type hints
    """zoomus's v2 client whose token request and components all use `timeout`."""

    def __init__(self, settings: Settings, timeout: int = API_TIMEOUT) -> None:
        util.ApiClient.__init__(self, base_uri=settings.zoom_api_url, timeout=timeout)
        self.settings = settings
        self.config: dict[str, Any] = {
            "client_id": settings.zoom_client_id,
            "client_secret": settings.zoom_client_secret,
            "api_account_id": settings.zoom_account_id,
            "data_type": "json",
            "version": util.API_VERSION_2,
            "base_uri": self.base_uri,
            "oauth_uri": settings.zoom_oauth_url,
            "token": fetch_token(settings, timeout),
        }
        self.components = {
            name: cls(base_uri=self.base_uri, config=self.config, timeout=timeout)
            for name, cls in COMPONENT_CLASSES[util.API_VERSION_2].items()
        }

    def refresh_token(self) -> None:
        """A new token, with the timeout zoomus's own request lacks."""
        self.config["token"] = fetch_token(self.settings, self.timeout)


def make_zoom_api(settings: Settings, *, timeout: int = API_TIMEOUT, max_wait: float = 60.0) -> ZoomApi:
    """The Zoom REST API with a fresh token (ZoomApiError when Zoom refuses or does not answer)."""
    return ZoomApi(TimedZoomClient(settings, timeout), max_wait=max_wait)
