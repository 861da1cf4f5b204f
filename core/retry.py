"""The one backoff rule for work that is tried again later (shares, emails, metrics, Slack).

Exponential growth with jitter, capped, and never sooner than a provider's ``Retry-After``:
``base`` seconds after the first failure, doubling each time, at most ``cap``. The jitter
spreads a crowd of retries (a network outage fails many shares at once) so they do not
come back at the same moment. ``full`` jitter (AWS's recipe) draws from half the base up
to the exponential value; otherwise up to a fifth is added on top.
"""

import random


def backoff(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    full_jitter: bool = True,
) -> float:
    """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 1)."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    if full_jitter:
        delay = random.uniform(min(base / 2, ceiling), ceiling)  # noqa: S311  (jitter, not secrecy)
    else:
        delay = min(cap, ceiling * (1 + random.random() / 5))  # noqa: S311
    if retry_after and retry_after > 0:
        delay = max(delay, retry_after)  # the provider knows best, even beyond the cap
    return delay
