"""Beat's side of posting: scheduled shares whose time has come, and shares the broker
lost or whose worker died (the *stale sweeps* of the strategy in ``posting``).

Both only (re)dispatch: the posting task claims a share with a conditional UPDATE, so a
share dispatched twice is still posted once.
"""

from datetime import datetime

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from advocacy.models.shares import Share, ShareStatus
from advocacy.services.breaker import breaker_state
from advocacy.services.posting import POST_TASK, STALE_POSTING, STALE_QUEUED
from core.queueing import enqueue


def shares_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: scheduled shares whose time has come become queued and are enqueued."""
    now = now or timezone.now()
    ids = list(
        Share.objects.filter(status=ShareStatus.SCHEDULED, scheduled_for__lte=now).values_list("pk", flat=True)[:1000]
    )
    moved = 0
    for share_id in ids:
        if Share.objects.filter(pk=share_id, status=ShareStatus.SCHEDULED).update(
            status=ShareStatus.QUEUED, enqueued_at=now, updated_at=now
        ):
            enqueue(POST_TASK, share_id)
            moved += 1
    return moved


def shares_sweep_stale(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: re-dispatch lost queued shares; treat posting shares from dead workers as ambiguous.

    A queued share is lost when its last dispatch (``enqueued_at``) and its planned retry
    (``next_attempt_at``) are both older than ``STALE_QUEUED``; a share whose retry is still
    ahead, or whose network's breaker is holding shares, is merely waiting. Each network's
    shares are dispatched ``SHARE_BREAKER_DRAIN_SPACING_SECONDS`` apart."""
    now = now or timezone.now()
    stale = now - STALE_QUEUED
    spacing = settings.SHARE_BREAKER_DRAIN_SPACING_SECONDS
    waiting = Share.objects.filter(status=ShareStatus.QUEUED).order_by().values_list("network", flat=True).distinct()
    held = {network for network in waiting if breaker_state(network, now=now.timestamp())["waiting"]}
    queued = list(
        Share.objects.filter(status=ShareStatus.QUEUED, enqueued_at__lte=stale)
        .exclude(next_attempt_at__gt=stale).exclude(network__in=held)
        .order_by("next_attempt_at", "pk").values_list("pk", "network")[:1000]
    )
    redispatched = 0
    per_network: dict[str, int] = {}
    for share_id, network in queued:
        if Share.objects.filter(pk=share_id, status=ShareStatus.QUEUED).update(enqueued_at=now):
            position = per_network.get(network, 0)
            per_network[network] = position + 1
            enqueue(POST_TASK, share_id, countdown=position * spacing)
            redispatched += 1
    stuck = 0
    for share_id in Share.objects.filter(
        status=ShareStatus.POSTING, posting_started_at__lte=now - STALE_POSTING
    ).values_list("pk", flat=True)[:1000]:
        # The worker died mid-post: maybe it landed. Mark ambiguous (keeping an earlier
        # ambiguous attempt: its window counts) and let a task reconcile.
        if Share.objects.filter(pk=share_id, status=ShareStatus.POSTING).update(
            status=ShareStatus.QUEUED, ambiguous_at=Coalesce("ambiguous_at", "posting_started_at"),
            enqueued_at=now, updated_at=now,
        ):
            enqueue(POST_TASK, share_id)
            stuck += 1
    return {"redispatched": redispatched, "stuck": stuck}
