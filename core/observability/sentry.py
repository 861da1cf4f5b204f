"""Optional error reporting to Sentry (or a compatible service: GlitchTip, self-hosted
Sentry), switched on by ``SENTRY_DSN``.

What leaves is an exception's type, message and stack (without local variables), the
request's method and path, and tags such as the request id. What never leaves: tokens,
passwords, cookies, Authorization headers, OAuth ``code``/``state`` and other secret URL
parameters, form and JSON bodies, and email addresses or other personal data.
``send_default_pii`` off (the SDK's default) keeps it from collecting user details, IP
addresses and bodies in the first place; the SDK's own ``EventScrubber`` (recursive) removes fields with
secret-sounding names; and ``scrub_event`` (``before_send``) goes over every string left.
"""

import logging
from collections.abc import Mapping
from typing import Any

from core.observability.context import current_request_id
from core.observability.scrub import scrub_personal

logger = logging.getLogger(__name__)

# Request headers that identify someone or carry a credential: dropped whole.
_DROP_HEADERS = {
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-csrftoken",
    "x-forwarded-for", "x-real-ip", "forwarded", "referer", "x-scim-token",
}


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return "[too deep]"
    if isinstance(value, str):
        return scrub_personal(value)
    if isinstance(value, Mapping):
        return {key: _scrub(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, depth + 1) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send``/``before_send_transaction``: the event without secrets or personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, Mapping):
            request["headers"] = {k: v for k, v in headers.items() if str(k).lower() not in _DROP_HEADERS}
        for key in ("cookies", "data", "env"):
            request.pop(key, None)
        if isinstance(request.get("query_string"), str) and request["query_string"]:
            # Scrubbed as a URL's query: code=…&state=… lose their values.
            request["query_string"] = scrub_personal("?" + request["query_string"])[1:]
    user = event.get("user")
    if isinstance(user, Mapping):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _scrub(event)


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return _scrub(crumb)


def sentry_init(
    *, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0, **options: Any
) -> bool:
    """Start reporting to ``dsn`` with the Django, Celery and logging integrations.
    An empty ``dsn`` does nothing (returns False): Sentry is optional."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.scrubber import EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        # send_default_pii stays off: the SDK's default (2.x warns when the flag is passed at
        # all, in favour of its data_collection option).
        include_local_variables=False,  # a frame's locals may hold a token
        max_request_body_size="never",
        event_scrubber=EventScrubber(recursive=True),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            # Errors logged (logger.error) become events; lower levels only breadcrumbs.
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        **options,
    )
    return True
