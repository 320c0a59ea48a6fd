"""The Bolt app: built in a factory from the settings, with no network call at import."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.slack_retry import IdempotentServerErrorRetry, OnceRespond, SafeConnectionRetry
from handlers import Deps, register_slack
from handlers.after_ack import committed_note
from handlers.views.common import ERROR_TRY_AGAIN

logger = logging.getLogger(__name__)
# Bolt runs each listener's post-ack work (database, Slack calls) on this pool, and a listener
# cannot ack until it gets a thread: more threads than a class sends at once, so a burst of /ask
# is acked at once (`make bench-ask`: p99 510 ms with 32 threads, 180-260 ms with 100).
LISTENER_THREADS = 100
ACK_POLL_GRACE = 0.05  # seconds; Bolt's ack poll interval is 0.01
VERIFIED = "slack_signature_verified"  # set in the context once Bolt's signature check has passed


def make_web_client(settings: Settings, *, timeout: int = 10) -> WebClient:
    """A Slack Web API client whose retries never resend a call that may have landed (bot/slack_retry.py)."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            SafeConnectionRetry(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            IdempotentServerErrorRetry(max_retry_count=2),
        ],
    )


def build_slack_app(
    settings: Settings,
    deps: Deps,
    client: WebClient | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> App:
    """Bolt app with our listeners, the deps middleware and one error handler.

    `executor` runs the listeners' post-ack work; pass one to wait for it at shutdown.
    """
    app = App(
        client=client or make_web_client(settings),
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        listener_executor=executor or ThreadPoolExecutor(max_workers=LISTENER_THREADS),
        raise_error_for_unhandled_request=False,
    )
    app.use(_mark_verified)  # global middleware runs after Bolt's own signature check
    app.use(_skip_slack_retries)
    app.use(_inject_deps(deps))
    app.error(_on_error)
    register_slack(app)
    return app


def _inject_deps(deps: Deps) -> Callable[..., Any]:
    def inject(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        context["deps"] = deps
        if context.response_url:
            context["respond"] = OnceRespond(
                response_url=context.response_url, proxy=context.client.proxy, ssl=context.client.ssl
            )
        return next()

    return inject


def _mark_verified(context: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
    """Reached only after Bolt verified the signature: say so, for the error handler."""
    context[VERIFIED] = True
    return next()


def _skip_slack_retries(request: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
    """A Slack retry (`X-Slack-Retry-Num`) repeats a delivery that already ran: ack, don't rerun."""
    if request.headers.get("x-slack-retry-num"):
        logger.info("skipping Slack retry %s", request.headers.get("x-slack-retry-reason"))
        return BoltResponse(status=200, body="")
    return next()


def _on_error(
    error: Exception,
    body: dict[str, Any],
    respond: Any,
    ack: Ack,
    response: BoltResponse | None,
    context: BoltContext,
) -> None:
    """Log with the traceback; tell the user one true story when there is someone to tell.

    A request whose signature was never verified is refused and nothing in its body is used:
    its `response_url` is whatever an anonymous caller chose. Before the listener stored
    anything: "nothing was saved, try again". After (handlers/after_ack.py): never that — the
    stored fact, and only if the user has heard nothing yet.
    """
    if not context.get(VERIFIED):
        _refuse_unverified(error, response)
        return
    _keep_ack(ack)
    logger.error("Slack listener failed: %s", type(error).__name__, exc_info=error)
    note = committed_note(context)
    heard = isinstance(respond, OnceRespond) and respond.sent > 0
    text = ERROR_TRY_AGAIN if note is None else None if heard else note
    if body.get("response_url") and text:
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:  # noqa: BLE001 - the reply is a courtesy; the error is logged above
            logger.warning("could not tell the user about the error", exc_info=True)
    if response is None:
        _let_bolt_see_the_ack()


def _refuse_unverified(error: Exception, response: BoltResponse | None) -> None:
    """Failed before the signature was verified (Bolt's check raised): answer 401, do nothing."""
    logger.warning("refused a Slack request that failed verification: %s", type(error).__name__)
    if response is not None:
        response.status, response.body = 401, '{"error": "invalid request"}'
        response.headers["content-type"] = ["application/json;charset=utf-8"]


def _keep_ack(ack: Ack) -> None:
    """A listener that fails after ack() must not turn the ack Slack gets into a 500.

    Bolt's thread runner shares one response variable between the dispatching thread and the
    listener's, and on a listener error sets its status to 500 even when it is the ack already
    being returned (slack_bolt/listener/thread_runner.py). An ack is always a 200: put it back.
    """
    if ack.response is not None:
        ack.response.status = 200


def _let_bolt_see_the_ack() -> None:
    """The listener failed after ack(): wait until Bolt's dispatching thread has seen that ack.

    Bolt polls for ack() every 10 ms and clears it once this handler returns
    (slack_bolt/listener/thread_runner.py); a listener that fails within those 10 ms (a database
    that refuses connections) would otherwise leave Slack waiting 3 s and then answer it 404.
    """
    time.sleep(ACK_POLL_GRACE)
