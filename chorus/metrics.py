"""``/metrics``: Prometheus' text format, for operators (README, "Monitoring").

Two sources, both safe with any number of web processes and machines:

- **Requests, database queries, the process** (django-prometheus, prometheus_client): per
  process, or per machine with ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn's workers write to
  files there; the scrape reads them all).
- **Chorus** (``ChorusCollector``), computed at scrape time from what every process shares:
  shares by network and status, connections and the ones expiring within 7 days, clicks,
  this week's digests (five grouped queries); queue lengths, counters of provider errors and
  the posting-latency histogram (one Redis pipeline, short timeout); each network's
  circuit breaker. Any web process answers the same numbers.

Off (404) unless ``METRICS_TOKEN`` or ``METRICS_ALLOWED_NETWORKS`` is set; then a scrape
needs the token (``Authorization: Bearer …``) and/or an allowed client address (403).
"""

import functools
import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from advocacy.models import Share, SocialAccount
from advocacy.models.accounts import AccountStatus
from advocacy.models.shares import ShareStatus
from advocacy.services.breaker import breaker_state
from analytics.models import DailyTotals
from analytics.services.clicks import BUFFER_KEY as CLICK_BUFFER_KEY
from chorus.metrics_receivers import POSTING_LATENCY, POSTING_LATENCY_BUCKETS
from core.client import client_ip
from core.observability.counters import (
    COUNTER_PREFIX,
    HIST_PREFIX,
    PROVIDER_ERRORS,
    counters_parse,
    histogram_parse,
    metrics_redis,
    redis_client,
)
from networks.registry import NETWORKS
from notifications.models import DeliveryKind, DeliveryStatus, EmailDelivery
from notifications.services.schedule import digest_recipients, weekly_period

logger = logging.getLogger(__name__)

EXPIRING_WITHIN = timedelta(days=7)
BREAKER_STATES = ("closed", "open", "half_open")
# Kombu's Redis transport keeps a queue's messages in a list named after it, plus one list
# per priority step when messages carry a priority (default steps 0, 3, 6, 9).
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_UNACKED = "unacked"  # kombu's hash of messages reserved by workers, not yet acknowledged


# --------------------------------------------------------------------------- access


def _token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


def _network_ok(request: HttpRequest) -> bool:
    allowed = settings.METRICS_ALLOWED_NETWORKS
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr.strip(), strict=False) for cidr in allowed)


def metrics_enabled() -> bool:
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_enabled():
        return HttpResponseNotFound("Not found.\n", content_type="text/plain")
    if not (_network_ok(request) and _token_ok(request)):
        return HttpResponseForbidden("Forbidden.\n", content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


def metrics_text() -> bytes:
    """The whole exposition: the process's (or machine's) metrics, then Chorus's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    chorus_registry = CollectorRegistry(auto_describe=False)
    chorus_registry.register(ChorusCollector())
    return generate_latest(process_registry) + generate_latest(chorus_registry)


# --------------------------------------------------------------------------- Chorus's metrics


class ChorusCollector:
    """Computes every Chorus metric when scraped (prometheus_client's custom collector)."""

    def collect(self) -> Iterator[Any]:
        yield from _shares()
        yield from _connections()
        yield from _clicks()
        yield from _digests()
        redis_ok = False
        for family in _redis_metrics():
            redis_ok = True
            yield family
        up = GaugeMetricFamily("chorus_metrics_redis_up",
                               "1 if the Redis-held metrics (queues, counters) could be read for this scrape.")
        up.add_metric([], 1 if redis_ok else 0)
        yield up
        if redis_ok:  # a Redis that did not answer just now is not asked again per network
            yield from _breakers()


def _shares() -> Iterator[Any]:
    gauge = GaugeMetricFamily("chorus_shares", "Shares by network and status.", labels=["network", "status"])
    counts = {
        (row["network"], row["status"]): row["n"]
        for row in Share.objects.order_by().values("network", "status").annotate(n=Count("pk"))
    }
    for network in NETWORKS:
        for status in ShareStatus.values:
            gauge.add_metric([network, status], counts.pop((network, status), 0))
    for (network, status), n in sorted(counts.items()):
        gauge.add_metric([network, status], n)
    yield gauge


def _connections() -> Iterator[Any]:
    now = timezone.now()
    rows = (
        SocialAccount.objects.order_by().values("network", "status")
        .annotate(
            n=Count("pk"),
            # A connection that cannot renew itself (no refresh token) and runs out within 7
            # days: its employee must reconnect (they are warned; this is for operators).
            expiring=Count("pk", filter=Q(
                status__in=[AccountStatus.ACTIVE, AccountStatus.EXPIRING], refresh_token="",
                expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN,
            )),
        )
    )
    connections = GaugeMetricFamily("chorus_connections", "Employees' network connections by status.",
                                    labels=["network", "status"])
    expiring = GaugeMetricFamily(
        "chorus_connections_expiring_7d",
        "Connections that cannot renew themselves and expire within 7 days.", labels=["network"],
    )
    by_network: dict[str, int] = dict.fromkeys(NETWORKS, 0)
    for row in rows:
        connections.add_metric([row["network"], row["status"]], row["n"])
        by_network[row["network"]] = by_network.get(row["network"], 0) + row["expiring"]
    for network, n in sorted(by_network.items()):
        expiring.add_metric([network], n)
    yield connections
    yield expiring


def _clicks() -> Iterator[Any]:
    clicks = CounterMetricFamily("chorus_clicks", "Clicks on tracked links, as counted in the daily rollups.",
                                 labels=["network"])
    previews = CounterMetricFamily("chorus_link_previews",
                                   "Link previews (crawlers, HEAD, prefetch), as counted in the daily rollups.",
                                   labels=["network"])
    totals = {network: (0, 0) for network in NETWORKS}
    for row in DailyTotals.objects.order_by().values("network").annotate(c=Sum("clicks"), p=Sum("previews")):
        totals[row["network"]] = (row["c"] or 0, row["p"] or 0)
    for network, (c, p) in sorted(totals.items()):
        clicks.add_metric([network], c)
        previews.add_metric([network], p)
    yield clicks
    yield previews


def _digests() -> Iterator[Any]:
    week = weekly_period(timezone.now())
    recipients = GaugeMetricFamily("chorus_digest_recipients", "Advocates who get the weekly digest.")
    recipients.add_metric([], digest_recipients(DeliveryKind.WEEKLY_DIGEST).order_by().count())
    deliveries = GaugeMetricFamily(
        "chorus_digest_deliveries",
        "This ISO week's (UTC) weekly digests by status; recipients minus their sum are not due yet.",
        labels=["status"],
    )
    counts = dict(
        EmailDelivery.objects.filter(kind=DeliveryKind.WEEKLY_DIGEST, period=week).order_by()
        .values_list("status").annotate(n=Count("pk"))
    )
    for status in DeliveryStatus.values:
        deliveries.add_metric([status], counts.get(status, 0))
    yield recipients
    yield deliveries


def _queue_names() -> list[str]:
    return [queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", [])] or ["default"]


def _redis_metrics() -> Iterator[Any]:
    """Queue lengths, counters and histograms: one pipeline per Redis (broker, app)."""
    queues = _queue_names()
    try:
        app = metrics_redis().pipeline(transaction=False)
        app.hgetall(COUNTER_PREFIX + PROVIDER_ERRORS)
        app.hgetall(HIST_PREFIX + POSTING_LATENCY)
        app.llen(CLICK_BUFFER_KEY)
        errors, latency, buffered = app.execute()
        broker_values = _broker_lengths(queues)
    except (redis.RedisError, OSError) as exc:
        logger.warning("metrics: Redis not read (%s)", type(exc).__name__)
        return
    families: list[Any] = []
    if broker_values is not None:
        lengths, unacked = broker_values
        depth = GaugeMetricFamily("chorus_queue_length", "Messages waiting in each Celery queue.", labels=["queue"])
        for name in queues:
            depth.add_metric([name], lengths[name])
        reserved = GaugeMetricFamily("chorus_queue_reserved",
                                     "Messages workers have taken and not yet acknowledged (all queues).")
        reserved.add_metric([], unacked)
        families += [depth, reserved]
    provider = CounterMetricFamily("chorus_provider_errors", "Errors from LinkedIn and X, by network and kind.",
                                   labels=["network", "kind"])
    for labels, value in sorted(counters_parse(errors), key=lambda item: sorted(item[0].items())):
        provider.add_metric([labels.get("network", ""), labels.get("kind", "")], value)
    histogram = HistogramMetricFamily(
        "chorus_share_posting_latency_seconds",
        "From a share's creation (or scheduled time) to its post on the network.", labels=["network"],
    )
    for series in histogram_parse(latency, POSTING_LATENCY_BUCKETS):
        histogram.add_metric([series.labels.get("network", "")], series.buckets, series.sum)
    clicks = GaugeMetricFamily("chorus_clicks_buffered", "Clicks recorded in Redis, not yet flushed to the database.")
    clicks.add_metric([], buffered)
    yield from [*families, provider, histogram, clicks]


def _broker_lengths(queues: list[str]) -> tuple[dict[str, int], int] | None:
    """Each queue's length and the reserved count, or None if the broker is not Redis."""
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = metrics_redis() if url == settings.REDIS_URL else _broker_client(url)
    pipe = client.pipeline(transaction=False)
    for name in queues:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(name + suffix)
    pipe.hlen(_UNACKED)
    values = pipe.execute()
    steps = len(_PRIORITY_SUFFIXES)
    lengths = {name: sum(values[i * steps:(i + 1) * steps]) for i, name in enumerate(queues)}
    return lengths, values[-1]


@functools.lru_cache(maxsize=2)
def _broker_client(url: str) -> redis.Redis:
    return redis_client(url, float(getattr(settings, "METRICS_REDIS_TIMEOUT", 0.25)))


def _breakers() -> Iterator[Any]:
    state = GaugeMetricFamily("chorus_circuit_breaker_state",
                              "1 for each network's circuit breaker's current state.", labels=["network", "state"])
    failures = GaugeMetricFamily("chorus_circuit_breaker_failures",
                                 "Consecutive outage-type failures the breaker has counted.", labels=["network"])
    for network in NETWORKS:
        current = breaker_state(network)
        for name in BREAKER_STATES:
            state.add_metric([network, name], 1 if current["state"] == name else 0)
        failures.add_metric([network], float(current.get("failures", 0)))
    yield state
    yield failures
