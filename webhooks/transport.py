"""One POST of a webhook, under the SSRF policy that guards every user-supplied URL.

Built on ``core.fetcher.send()`` (``core.ssrf``'s pinned connection pools, like every
fetch): the host is resolved once, every answer is checked and the socket goes to a checked
address, so a name that resolved to a public address when the endpoint was saved and to a
private one now (DNS rebinding) is refused here. No redirects are followed (a 3xx is a
failed delivery, as Standard Webhooks advises), no proxy from the environment is used, and
one deadline covers connecting, sending and reading the start of the answer.
"""

from dataclasses import dataclass

from core.fetcher import FetchError, send

__all__ = ["Answer", "FetchError", "post"]

RESPONSE_KEEP = 1000  # characters of the answer kept in the log
_RESPONSE_READ = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # the start of the answer, for the log
    retry_after: float | None  # seconds, from a Retry-After header in seconds


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url``; return the answer, whatever its status. Raises a
    ``FetchError`` (``BadURL``, ``BlockedAddress``, ``TooSlow``...) with a reason for the
    delivery log when there is no answer or the address is refused."""
    answer = send("POST", url, body=body, headers={"Content-Type": "application/json", **headers},
                  timeout=timeout, max_bytes=_RESPONSE_READ, truncate=True)
    return Answer(status=answer.status, body=answer.body.decode("utf-8", "replace")[:RESPONSE_KEEP],
                  retry_after=_seconds(answer.headers.get("Retry-After")))


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff decides
