"""Beat's side of posting: scheduled shares whose time has come, and shares the broker
lost or whose worker died (the *stale sweeps* of the strategy in ``posting``).

Both only (re)dispatch: the posting task claims a share with a conditional UPDATE, so a
share dispatched twice is still posted once. Each dispatch records its Celery task id on
the share (``dispatch_id``).

A queued share is sent again only if its message is really gone: the sweep reads what the
broker holds for the posting task (``core.broker``) and leaves alone a share with a message
still waiting in the ``shares`` queue, or reserved by a worker (prefetched behind a running
task, held for its countdown, or running) — matched by the recorded task id, or by the
share id the message carries (shares sent by the share dialog or by the task's own retries
record none). A reservation that has outlasted ``SHARE_SWEEP_RESERVED_GRACE_SECONDS``
(counted from its countdown, if later) belongs to a worker that died: Redis would give it
back only after the visibility timeout, so the share is sent again. If the broker cannot
be read (not Redis, or down) every stale share is sent again, as before; if it holds more
than ``SHARE_SWEEP_MAX_SCAN`` messages the workers are behind, and none is.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from advocacy.models.shares import Share, ShareStatus
from advocacy.services.breaker import breaker_state
from advocacy.services.posting import POST_TASK, STALE_POSTING, STALE_QUEUED, new_dispatch_id, share_dispatch
from core.broker import TaskMessage, task_messages

logger = logging.getLogger(__name__)


def shares_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: scheduled shares whose time has come become queued and are enqueued."""
    now = now or timezone.now()
    ids = list(
        Share.objects.filter(status=ShareStatus.SCHEDULED, scheduled_for__lte=now).values_list("pk", flat=True)[:1000]
    )
    moved = 0
    for share_id in ids:
        dispatch_id = new_dispatch_id()
        if Share.objects.filter(pk=share_id, status=ShareStatus.SCHEDULED).update(
            status=ShareStatus.QUEUED, enqueued_at=now, dispatch_id=dispatch_id, updated_at=now
        ):
            share_dispatch(share_id, dispatch_id=dispatch_id)
            moved += 1
    return moved


def shares_sweep_stale(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: re-dispatch lost queued shares; treat posting shares from dead workers as ambiguous.

    A queued share may be lost when its last dispatch (``enqueued_at``) and its planned
    retry (``next_attempt_at``) are both older than ``STALE_QUEUED``; a share whose retry is
    still ahead, or whose network's breaker is holding shares, is merely waiting, and so is
    one whose message the broker still holds (see the module docstring). Each network's
    shares are dispatched ``SHARE_BREAKER_DRAIN_SPACING_SECONDS`` apart."""
    now = now or timezone.now()
    stale = now - STALE_QUEUED
    spacing = settings.SHARE_BREAKER_DRAIN_SPACING_SECONDS
    waiting = Share.objects.filter(status=ShareStatus.QUEUED).order_by().values_list("network", flat=True).distinct()
    held = {network for network in waiting if breaker_state(network, now=now.timestamp())["waiting"]}
    queued = list(
        Share.objects.filter(status=ShareStatus.QUEUED, enqueued_at__lte=stale)
        .exclude(next_attempt_at__gt=stale).exclude(network__in=held)
        .order_by("next_attempt_at", "pk").values_list("pk", "network", "dispatch_id")[:1000]
    )
    in_broker = _still_in_broker(queued, now=now) if queued else set()
    redispatched = 0
    per_network: dict[str, int] = {}
    for share_id, network, _ in queued:
        if share_id in in_broker:
            continue
        dispatch_id = new_dispatch_id()
        if Share.objects.filter(pk=share_id, status=ShareStatus.QUEUED).update(
            enqueued_at=now, dispatch_id=dispatch_id
        ):
            position = per_network.get(network, 0)
            per_network[network] = position + 1
            share_dispatch(share_id, dispatch_id=dispatch_id, countdown=position * spacing)
            redispatched += 1
    if in_broker:
        logger.info("stale sweep: %d queued shares still have a message in the broker (behind busy workers)",
                    len(in_broker))
    stuck = 0
    for share_id in Share.objects.filter(
        status=ShareStatus.POSTING, posting_started_at__lte=now - STALE_POSTING
    ).values_list("pk", flat=True)[:1000]:
        # The worker died mid-post: maybe it landed. Mark ambiguous (keeping an earlier
        # ambiguous attempt: its window counts) and let a task reconcile.
        dispatch_id = new_dispatch_id()
        if Share.objects.filter(pk=share_id, status=ShareStatus.POSTING).update(
            status=ShareStatus.QUEUED, ambiguous_at=Coalesce("ambiguous_at", "posting_started_at"),
            enqueued_at=now, dispatch_id=dispatch_id, updated_at=now,
        ):
            share_dispatch(share_id, dispatch_id=dispatch_id)
            stuck += 1
    return {"redispatched": redispatched, "stuck": stuck}


def _still_in_broker(queued: list[tuple[int, str, str]], *, now: datetime) -> set[int]:
    """Which of these shares (id, network, dispatch id) still have a live message in the broker."""
    held = task_messages(POST_TASK, max_scan=settings.SHARE_SWEEP_MAX_SCAN)
    if held is None:
        return set()  # cannot tell: every stale share is sent again (the claim makes it harmless)
    ids = {share_id for share_id, _, _ in queued}
    if not held.complete:
        logger.warning("stale sweep: the broker holds over %d posting messages; none is sent again",
                       settings.SHARE_SWEEP_MAX_SCAN)
        return ids
    by_dispatch = {dispatch_id: share_id for share_id, _, dispatch_id in queued if dispatch_id}
    dead_before = now.timestamp() - settings.SHARE_SWEEP_RESERVED_GRACE_SECONDS
    found = set()
    for message in held.messages:
        if message.reserved_at is not None and max(message.reserved_at, message.eta or 0.0) < dead_before:
            continue  # reserved by a worker that died long ago
        share_id = by_dispatch.get(message.task_id) or _share_id(message)
        if share_id in ids:
            found.add(share_id)
    return found


def _share_id(message: TaskMessage) -> int | None:
    value = message.args[0] if message.args else message.kwargs.get("share_id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
