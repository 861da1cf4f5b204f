"""Counters and histograms shared by every process of every machine, kept in Redis.

Events such as a provider error or a posted share happen in Celery workers, often on other
machines than the web process Prometheus scrapes, so an in-process counter (or
prometheus_client's per-machine multiprocess files) would show only a part. Here each
event is one ``HINCRBY`` on a small hash; ``/metrics`` reads the hashes with one pipeline at
scrape time (``counters_read``). Counting never gets in the way of the work: a short
timeout, failures are swallowed, and after one failure a process leaves Redis alone for a
while. If Redis is wiped the counters start again from zero, which Prometheus treats as a
counter reset (``rate()`` and ``increase()`` handle it).

Keys: ``obs:counter:<name>`` with fields ``label=value|label=value`` (sorted by label); a
histogram ``obs:hist:<name>`` has fields ``<labels>|le=<bound>`` (not cumulative; the
reader sums them), ``<labels>|count`` and ``<labels>|sum``.
"""

import functools
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

COUNTER_PREFIX = "obs:counter:"
HIST_PREFIX = "obs:hist:"

# Until when (time.monotonic()) this process does not try to count (Redis failed).
_down_until = 0.0

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=4)
def _client(url: str, timeout: float) -> redis.Redis:
    return redis_client(url, timeout)


def redis_client(url: str, timeout: float) -> redis.Redis:
    """A client that waits at most ``timeout`` per call and never retries (newer redis-py
    retries timeouts by default, which would multiply the wait)."""
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                retry=Retry(NoBackoff(), 0))


def metrics_redis() -> redis.Redis:
    """A client with the short ``METRICS_REDIS_TIMEOUT``: metrics are never worth a wait."""
    return _client(settings.REDIS_URL, float(getattr(settings, "METRICS_REDIS_TIMEOUT", 0.25)))


def _field(labels: Mapping[str, str]) -> str:
    return "|".join(f"{key}={_clean(value)}" for key, value in sorted(labels.items()))


def _clean(value: object) -> str:
    # Label values come from our own code (network names, error kinds); keep them tame anyway.
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in str(value))[:40] or "unknown"


def _write(ops: Callable[[Any], None]) -> bool:
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        pipe = metrics_redis().pipeline(transaction=False)
        ops(pipe)
        pipe.execute()
        return True
    except Exception as exc:  # never let counting fail the work it counts
        _down_until = time.monotonic() + float(getattr(settings, "METRICS_REDIS_BACKOFF_SECONDS", 30))
        logger.warning("metrics not recorded (%s)", type(exc).__name__)
        return False


def counter_add(name: str, labels: Mapping[str, str], amount: int = 1) -> bool:
    """Add ``amount`` to the counter ``name`` with ``labels``; False if it could not be counted."""
    return _write(lambda pipe: pipe.hincrby(COUNTER_PREFIX + name, _field(labels), amount))


def histogram_observe(name: str, labels: Mapping[str, str], value: float, buckets: Iterable[float]) -> bool:
    """Record one observation of ``value`` in the histogram ``name`` (upper ``buckets`` bounds)."""
    base = _field(labels)
    bound = next((b for b in sorted(buckets) if value <= b), math.inf)

    def ops(pipe: Any) -> None:
        key = HIST_PREFIX + name
        pipe.hincrby(key, f"{base}|le={_bound_text(bound)}", 1)
        pipe.hincrby(key, f"{base}|count", 1)
        pipe.hincrbyfloat(key, f"{base}|sum", float(value))

    return _write(ops)


def _bound_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def _labels(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split("|") if "=" in part)


@dataclass
class Histogram:
    """One labelled series: cumulative ``buckets`` [(le, count)], ``count`` and ``sum``."""

    labels: dict[str, str]
    buckets: list[tuple[str, float]] = field(default_factory=list)
    count: float = 0.0
    sum: float = 0.0


def counters_parse(raw: Mapping[Any, Any]) -> list[tuple[dict[str, str], float]]:
    """A counter hash as read from Redis: [(labels, value)]."""
    return [(_labels(_text(key)), float(_text(value))) for key, value in raw.items()]


def histogram_parse(raw: Mapping[Any, Any], buckets: Iterable[float]) -> list[Histogram]:
    """A histogram hash as read from Redis, with cumulative buckets for every bound."""
    bounds = [_bound_text(b) for b in sorted(buckets)] + ["+Inf"]
    series: dict[str, dict[str, float]] = {}
    for key, value in raw.items():
        base, _, part = _text(key).rpartition("|")
        series.setdefault(base, {})[part] = float(_text(value))
    result = []
    for base, parts in sorted(series.items()):
        running, cumulative = 0.0, []
        for bound in bounds:
            running += parts.get(f"le={bound}", 0.0)
            cumulative.append((bound, running))
        result.append(Histogram(_labels(base), cumulative, parts.get("count", running), parts.get("sum", 0.0)))
    return result


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --------------------------------------------------------------------------- provider errors

PROVIDER_ERRORS = "provider_errors"
_KINDS = {
    "TransientError": "transient",
    "AmbiguousPostError": "ambiguous",
    "AuthError": "auth",
    "RejectedError": "rejected",
    "ConfigError": "config",
}


def provider_error_kind(error: BaseException) -> str:
    """A short, bounded word for a network error: ``rate_limited`` for a 429, else its type."""
    if getattr(error, "status", None) == 429:
        return "rate_limited"
    return _KINDS.get(type(error).__name__, "other")


def provider_error_count(error: BaseException) -> None:
    """Count an error a network adapter is about to raise (by network and kind)."""
    counter_add(PROVIDER_ERRORS, {"network": getattr(error, "network", "") or "unknown",
                                  "kind": provider_error_kind(error)})


def counts_provider_errors(func: F) -> F:
    """For the functions that turn a provider's answer into our error: count what they return.

    The networks layer marks its error mappers with this, so every error from LinkedIn or X
    (posting, polling, token refresh, sign-in) is counted without the layers above knowing.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        error = func(*args, **kwargs)
        provider_error_count(error)
        return error

    return wrapper  # type: ignore[return-value]
