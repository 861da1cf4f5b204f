"""The one outbound HTTP session factory: every request Chorus makes has a timeout.

Network adapters use ``outbound_session()`` (or mount its adapter on their OAuth2
session). User-supplied URLs, and URLs an Admin configures (webhook endpoints, the single
sign-on identity provider), never go through here: they go through the SSRF-safe
``core.fetcher`` (``fetch()`` to GET, ``send()`` for any other request).
"""

from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

USER_AGENT = "Chorus/0.1 (+https://github.com/chorus-advocacy/chorus)"


class TimeoutHTTPAdapter(HTTPAdapter):
    """Applies a default (connect, read) timeout to every request that sets none."""

    def __init__(self, *args: Any, timeout: tuple[float, float] | None = None, **kwargs: Any) -> None:
        self.timeout = timeout or tuple(settings.OUTBOUND_HTTP_TIMEOUT)
        super().__init__(*args, **kwargs)

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def mount_timeouts(session: requests.Session, timeout: tuple[float, float] | None = None) -> requests.Session:
    """Give an existing session (e.g. an ``OAuth2Session``) Chorus's timeouts and user agent."""
    adapter = TimeoutHTTPAdapter(timeout=timeout, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.setdefault("User-Agent", USER_AGENT)
    session.headers["User-Agent"] = USER_AGENT
    return session


def outbound_session(timeout: tuple[float, float] | None = None) -> requests.Session:
    """A new ``requests.Session`` with timeouts, no automatic retries, Chorus's user agent."""
    return mount_timeouts(requests.Session(), timeout)
