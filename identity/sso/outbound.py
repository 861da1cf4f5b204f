"""Every request single sign-on makes to the identity provider, under the SSRF policy.

The issuer and the SAML metadata URL are typed by an Admin, and the discovery document —
which whoever runs (or has taken over) the provider controls — names the token, userinfo and
JWKS URLs. So none of them is fetched with a plain HTTP client: they go through
``core.fetcher`` like every user-supplied URL (connections pinned to an address checked
after one resolution, so DNS rebinding is refused; no proxy or ``.netrc`` from the
environment; one deadline; a size limit). An identity provider on the company's private
network is allowed by ``SSO_ALLOWED_HOSTS``, on top of ``FETCHER_ALLOWED_HOSTS``.

Callers turn a ``FetchError`` into their own ``SsoRefused`` message and log its reason.
"""

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from django.conf import settings

from core.fetcher import BadURL, BlockedAddress, FetchError, FetchResult, fetch, send
from core.ssrf import parse_target, resolve

__all__ = [
    "JSON_MAX_BYTES", "METADATA_MAX_BYTES", "NotJson", "get", "get_json", "json_of", "post_form", "url_problem",
]

JSON_MAX_BYTES: Final = 256 * 1024  # discovery, JWKS, token and userinfo answers are a few KB
METADATA_MAX_BYTES: Final = 5 * 1024 * 1024
JSON_TYPES: Final = ("application/json", "application/jwk-set+json")
# SAML metadata is often a static file, served with a generic type; pysaml2 parses (and
# refuses) it anyway.
METADATA_TYPES: Final = ("application/samlmetadata+xml", "application/xml", "text/xml", "text/plain",
                         "application/octet-stream")


class NotJson(FetchError):
    """The provider answered, but not with JSON."""


def _also_allow() -> tuple[str, ...]:
    return tuple(getattr(settings, "SSO_ALLOWED_HOSTS", []) or [])


def _timeout() -> float:
    """One budget for the whole request: what ``OUTBOUND_HTTP_TIMEOUT`` gave to connecting
    and to waiting for the answer, before these requests were SSRF-guarded."""
    return float(sum(settings.OUTBOUND_HTTP_TIMEOUT))


def get(url: str, *, accept: tuple[str, ...] = JSON_TYPES, max_bytes: int = JSON_MAX_BYTES,
        headers: Mapping[str, str] | None = None) -> FetchResult:
    """GET ``url`` (redirects followed and checked; a bearer token is not sent on to another
    origin); a 2xx answer of an ``accept`` type or a ``FetchError``."""
    return fetch(url, accept=accept, max_bytes=max_bytes, timeout=_timeout(), headers=headers,
                 also_allow=_also_allow())


def get_json(url: str, *, accept: tuple[str, ...] = JSON_TYPES) -> Any:
    return json_of(get(url, accept=accept))


def post_form(url: str, data: Mapping[str, str], *, headers: Mapping[str, str] | None = None) -> FetchResult:
    """POST ``data`` form-encoded (an OAuth 2.0 token request); the answer whatever its status."""
    return send(
        "POST", url, body=urlencode(data).encode(), timeout=_timeout(), max_bytes=JSON_MAX_BYTES,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", **(headers or {})},
        also_allow=_also_allow(),
    )


def json_of(answer: FetchResult) -> Any:
    """The answer's JSON (its shape is the caller's to check)."""
    try:
        return json.loads(answer.body)
    except ValueError as exc:  # UnicodeDecodeError included
        raise NotJson(f"{answer.url} did not answer with JSON.") from exc


def url_problem(url: str, *, what: str) -> str | None:
    """Why Chorus will not fetch ``what`` (e.g. "your identity provider's configuration")
    from ``url``: a sentence for the admin form, or None.

    The syntax and the addresses the name resolves to now are checked (every fetch checks
    the address it connects to again). A name that does not resolve at the moment is not
    refused here: the check after saving reports the provider unreachable.
    """
    if not url:
        return None
    try:
        target = parse_target(url)
        resolve(target.host, target.port, _also_allow())
    except BlockedAddress as exc:
        return (f"Chorus will not read {what} from this address. {exc.reason} If your identity provider is on "
                "your private network, your Chorus operator can allow its host name or address in "
                "SSO_ALLOWED_HOSTS.")
    except BadURL as exc:
        return f"Chorus will not read {what} from this address. {exc.reason}"
    except FetchError:
        return None
    return None
