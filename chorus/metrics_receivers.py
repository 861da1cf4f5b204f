"""Metrics counted where things happen, by listening to the domain's events (the layers
below never import metrics): how long a share took from the employee's click (or its
scheduled time) to its post on the network. Connected by ``chorus/celery.py``, which every
process (web, worker, beat) imports at start-up. Counts live in Redis
(``core.observability.counters``) so that ``/metrics`` on any web process shows every
worker's."""

from typing import Any

from django.db import transaction

from advocacy import signals as advocacy_signals
from core.observability.counters import histogram_observe

POSTING_LATENCY = "posting_latency_seconds"
# From a few seconds (a worker was free) to hours (an outage waited out, a daily limit).
POSTING_LATENCY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)
# Posted because the employee said the post is on their profile: the latency would be the
# employee's, not the pipeline's.
_NOT_THE_PIPELINE = ("confirmed by the employee",)


def on_share_posted(sender: Any = None, *, share: Any, how: str = "", **kwargs: Any) -> None:
    if how in _NOT_THE_PIPELINE or share.posted_at is None or share.created_at is None:
        return
    start = max(share.created_at, share.scheduled_for or share.created_at)
    seconds = max((share.posted_at - start).total_seconds(), 0.0)
    network = share.network
    # After the commit that records the post (at once outside a transaction).
    transaction.on_commit(
        lambda: histogram_observe(POSTING_LATENCY, {"network": network}, seconds, POSTING_LATENCY_BUCKETS)
    )


def connect() -> None:
    advocacy_signals.share_posted.connect(on_share_posted, dispatch_uid="chorus.metrics.posting_latency")
