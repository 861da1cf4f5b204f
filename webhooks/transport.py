"""One POST of a webhook, under the SSRF policy that guards every user-supplied URL.

Built on ``core.ssrf``'s pinned connection pools, like ``core.fetcher`` (which only GETs):
the host is resolved once, every answer is checked and the socket goes to a checked
address, so a name that resolved to a public address when the endpoint was saved and to a
private one now (DNS rebinding) is refused here. No redirects are followed (a 3xx is a
failed delivery, as Standard Webhooks advises), no proxy from the environment is used, and
one deadline covers connecting, sending and reading the start of the answer.
"""

import http.client
import time
from dataclasses import dataclass

import certifi
from django.conf import settings
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import HTTPError, LocationParseError, SSLError
from urllib3.util import Timeout

from core.fetcher import BadURL, FetchError, TooSlow
from core.http import USER_AGENT
from core.ssrf import PinnedHTTPConnectionPool, PinnedHTTPSConnectionPool, parse_target

__all__ = ["Answer", "FetchError", "post"]

RESPONSE_KEEP = 1000  # characters of the answer kept in the log
_RESPONSE_READ = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # the start of the answer, for the log
    retry_after: float | None  # seconds, from a Retry-After header in seconds


class _Budget:
    """The deadline of one POST (``core.ssrf.ConnectionBudget``): every connect and read
    gets what is left of it, and nothing starts once it has run out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(self._ends - time.monotonic(), 0.001)

    def check(self, host: str) -> None:
        if time.monotonic() >= self._ends:
            raise self.too_slow(host)

    def too_slow(self, host: str) -> FetchError:
        return TooSlow(f"{host} did not answer within {self.seconds:g} seconds.")

    def watch(self, sock) -> None:  # the per-read timeouts bound each wait
        pass


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url``; return the answer, whatever its status. Raises a
    ``FetchError`` (``BadURL``, ``BlockedAddress``, ``TooSlow``...) with a reason for the
    delivery log when there is no answer or the address is refused."""
    target = parse_target(url)
    budget = _Budget(timeout)
    pool: HTTPConnectionPool
    try:
        if target.scheme == "https":
            pool = PinnedHTTPSConnectionPool(
                target.host, target.port, maxsize=1, retries=False, deadline=budget, cert_reqs="CERT_REQUIRED",
                ca_certs=getattr(settings, "FETCHER_CA_BUNDLE", "") or certifi.where(),
            )
        else:
            pool = PinnedHTTPConnectionPool(target.host, target.port, maxsize=1, retries=False, deadline=budget)
    except LocationParseError as exc:
        raise BadURL("This does not look like a valid web address.") from exc
    sent_headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers}
    try:
        wait = Timeout(connect=budget.remaining(), read=budget.remaining())
        response = pool.urlopen(
            "POST", target.request_target, body=body, headers=sent_headers, redirect=False, retries=False,
            preload_content=False, decode_content=True, assert_same_host=False, timeout=wait,
        )
        try:
            budget.check(target.host)
            text = response.read(_RESPONSE_READ).decode("utf-8", "replace")[:RESPONSE_KEEP]
            return Answer(status=response.status, body=text, retry_after=_seconds(response.headers.get("Retry-After")))
        finally:
            response.close()
    except FetchError:
        raise
    except SSLError as exc:
        raise FetchError(f"The secure connection to {target.host} failed: its certificate could not be verified.") \
            from exc
    except (HTTPError, http.client.HTTPException, OSError) as exc:
        budget.check(target.host)
        raise FetchError(f"The connection to {target.host} broke off before an answer ({type(exc).__name__}).") \
            from exc
    finally:
        pool.close()


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff decides
