"""LinkedIn error responses mapped to Chorus's error types.

LinkedIn REST errors look like ``{"status", "serviceErrorCode", "code", "message"}``; a
duplicate post adds ``errorDetails.inputErrors[].code == "DUPLICATE_POST"`` and names the
existing post in the message ("Content is a duplicate of urn:li:share:…"), which is how an
ambiguous publish is reconciled. The 401 codes 65600/65601/65602 (invalid, revoked,
expired) all mean "reconnect"; 426 means a retired ``LinkedIn-Version`` (admins, never
retry); 429 is a daily throttle with no headers, over at midnight UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import requests

from core.observability.counters import counts_provider_errors

from .errors import AuthError, ConfigError, NetworkError, RejectedError, TransientError
from .linkedin_text import MAX_COMMENTARY
from .wire import parse_error_body, retry_after_header, seconds_until_midnight_utc

_POST_URN = re.compile(r"urn:li:(?:share|ugcPost):\d+")
_AUTH_MESSAGES = {
    65602: "Your LinkedIn connection has expired (LinkedIn connections last 60 days). "
    "Please reconnect your LinkedIn account.",
    65601: "Your LinkedIn connection was revoked. Please reconnect your LinkedIn account.",
    65600: "Your LinkedIn connection is no longer valid. Please reconnect your LinkedIn account.",
}
_AUTH_CODES = {"EXPIRED_ACCESS_TOKEN": 65602, "REVOKED_ACCESS_TOKEN": 65601, "INVALID_ACCESS_TOKEN": 65600}


@counts_provider_errors  # for /metrics (chorus_provider_errors_total)
def linkedin_error(response: requests.Response, secrets: Iterable[str | None], *, version: str = "") -> NetworkError:
    """Map a failed LinkedIn REST/userinfo response to one of our errors."""
    body = parse_error_body(response, secrets)
    codes = body.all_codes
    status = body.status
    kwargs: dict[str, Any] = {
        "status": status,
        "code": body.service_code or body.code or next(iter(body.detail_codes), None),
        "network": "linkedin",
        "provider_message": body.message,
    }
    if status == 426 or "NONEXISTENT_VERSION" in codes:
        return ConfigError(
            f"LinkedIn has retired the API version Chorus uses ({version}). "
            "An administrator needs to update the LINKEDIN_VERSION setting.",
            **kwargs,
        )
    service = body.service_code or next((_AUTH_CODES[c] for c in codes if c in _AUTH_CODES), None)
    if status == 401 or service in _AUTH_MESSAGES:
        return AuthError(_AUTH_MESSAGES.get(service or 65600, _AUTH_MESSAGES[65600]), **kwargs)
    if status == 429:
        return TransientError(
            "LinkedIn's daily limit has been reached. Chorus will try again after midnight UTC.",
            retry_after=retry_after_header(response) or seconds_until_midnight_utc(),
            **kwargs,
        )
    if status >= 500:
        return TransientError(
            "LinkedIn is having trouble right now. Chorus will try again shortly.",
            retry_after=retry_after_header(response),
            **kwargs,
        )
    lowered = body.all_text
    if "DUPLICATE_POST" in codes or "duplicate" in lowered:
        # LinkedIn names the existing post in ``message`` ("Content is a duplicate of
        # urn:li:share:…" or "…urn:li:ugcPost:…"); look through every text it sent.
        existing = _POST_URN.search(" ".join(body.texts))
        return RejectedError(
            "LinkedIn says this post is a duplicate of one you shared recently.",
            duplicate=True,
            duplicate_of=existing.group(0) if existing else None,
            **kwargs,
        )
    if status == 403:
        return RejectedError(
            "LinkedIn did not allow this: Chorus is missing a LinkedIn permission for it. "
            "An administrator needs to check the Chorus LinkedIn app, or you may need to reconnect.",
            reason="forbidden",
            **kwargs,
        )
    if status == 404:
        return RejectedError(
            "LinkedIn could not find that post; it may have been deleted.", reason="not_found", **kwargs
        )
    if any(word in lowered for word in ("too long", "exceeds", "length")):
        return RejectedError(
            f"LinkedIn says this post is too long (at most {MAX_COMMENTARY:,} characters).",
            reason="too_long",
            **kwargs,
        )
    detail = f": {body.message}" if body.message and len(body.message) <= 200 else "."
    return RejectedError(f"LinkedIn refused this request{detail}", reason="invalid", **kwargs)


def is_revoked_token(response: requests.Response) -> bool:
    """A 401 ``REVOKED_ACCESS_TOKEN`` (65601). Right after a code exchange LinkedIn sometimes
    answers this for a token it has just issued; see ``LinkedInAdapter.profile``."""
    if response.status_code != 401:
        return False
    body = parse_error_body(response)
    return body.service_code == 65601 or "REVOKED_ACCESS_TOKEN" in body.all_codes
