"""X error responses mapped to Chorus's error types.

X sends RFC 7807 problem objects ``{"title", "detail", "type", "status"}``, older
``{"errors": [{"code": 88, "message": …}]}`` bodies, and sometimes plain-text 503s. A 429
waits until the exhausted ``x-rate-limit-*`` (or 24-hour) bucket resets. Failures with the
app-only bearer token are the admins' problem (``ConfigError``), never the employee's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from core.observability.counters import counts_provider_errors

from .errors import AuthError, ConfigError, NetworkError, RejectedError, TransientError
from .wire import parse_error_body, parse_rate_limits, retry_after_header, utcnow

_AUTH_CODES = {32, 89, 215, 326}
_PROJECT_TYPES = {"CLIENT-FORBIDDEN", "CLIENT-NOT-ENROLLED"}
_CONFIG_TYPES = {*_PROJECT_TYPES, "UNSUPPORTED-AUTHENTICATION", "CREDITS"}

NOT_IN_A_PROJECT = (
    "X refuses Chorus's developer app because the app is not attached to a Project with X API v2 "
    "access. An administrator needs to attach the app to a Project in the X Developer Portal."
)


def retry_after_from_limits(response: requests.Response) -> float | None:
    """Seconds until the exhausted bucket resets (the latest, if several are empty)."""
    limits = parse_rate_limits(response.headers)
    resets = [rl.reset_at for rl in limits.values() if rl.remaining == 0]
    if not resets and "window" in limits:
        resets = [limits["window"].reset_at]
    if resets:
        return max((max(resets) - utcnow()).total_seconds(), 1.0)
    return retry_after_header(response)


@counts_provider_errors  # for /metrics (chorus_provider_errors_total)
def x_error(response: requests.Response, secrets: Iterable[str | None], *, app_auth: bool = False) -> NetworkError:
    """Map a failed X API response (problem object, legacy ``errors``, or not JSON)."""
    body = parse_error_body(response, secrets)
    status, codes, legacy, text = body.status, body.all_codes, set(body.legacy_codes), body.all_text
    kwargs: dict[str, Any] = {
        "status": status,
        "code": body.problem_type or (body.legacy_codes[0] if body.legacy_codes else None),
        "network": "x",
        "provider_message": body.message,
    }
    if status == 429 or 88 in legacy:
        return TransientError(
            "X's rate limit has been reached. Chorus will try again when it resets.",
            retry_after=retry_after_from_limits(response),
            **kwargs,
        )
    if status >= 500 or legacy & {130, 131}:
        return TransientError(
            "X is having trouble right now. Chorus will try again shortly.",
            retry_after=retry_after_header(response),
            **kwargs,
        )
    if codes & _PROJECT_TYPES:
        return ConfigError(NOT_IN_A_PROJECT, **kwargs)
    if status == 402 or codes & _CONFIG_TYPES or 261 in legacy or (app_auth and status in (401, 403)):
        return ConfigError(
            "X refused Chorus's app (its access level, credits or app-only token). "
            "An administrator needs to check the Chorus X developer app.",
            **kwargs,
        )
    if status == 401 or legacy & _AUTH_CODES:
        return AuthError("Your X connection is no longer valid. Please reconnect your X account.", **kwargs)
    if "duplicate" in text or 187 in legacy:
        return RejectedError("X says this post is a duplicate of one you already shared.", duplicate=True, **kwargs)
    if 186 in legacy or "too long" in text:
        return RejectedError(
            "X says this post is too long: at most 280 characters, and every link counts as 23.",
            reason="too_long",
            **kwargs,
        )
    if status == 404:
        return RejectedError("X could not find that post; it may have been deleted.", reason="not_found", **kwargs)
    detail = f": {body.message}" if body.message and len(body.message) <= 200 else "."
    reason = "forbidden" if status == 403 else "invalid"
    return RejectedError(f"X refused this request{detail}", reason=reason, **kwargs)
