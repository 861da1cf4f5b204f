"""Webhook tasks (the ``default`` queue). They take ids and call services; each says why
running it twice is harmless."""

import logging

from celery import shared_task
from django.conf import settings

from core.queueing import send
from webhooks.services.deliveries import (
    DELIVER_TASK,
    deliveries_due,
    deliveries_reclaim_stale,
    delivery_attempt,
)
from webhooks.services.events import events_catch_up, events_purge

logger = logging.getLogger(__name__)


@shared_task(name=DELIVER_TASK, ignore_result=True)
def deliver_task(delivery_id: int) -> str | None:
    """Make the next attempt of one delivery. Twice is harmless: only the task whose
    conditional UPDATE claims the pending, due row sends (``delivery_attempt``). A retry
    due soon is queued with a countdown; a later one is left to the sweep."""
    outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None and outcome.retry_in <= settings.WEBHOOKS_COUNTDOWN_MAX_SECONDS:
        try:
            send(DELIVER_TASK, delivery_id, countdown=outcome.retry_in)
        except Exception as exc:  # the broker is down: the sweep sends it once due
            logger.warning("webhook retry of delivery %s not queued (%s); the sweep will", delivery_id, exc)
    return outcome.status


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_task() -> int:
    """Every minute: take over deliveries of dead workers, send the due ones whose message
    was lost or not queued, record missed events, purge old ones. Twice is harmless: each
    delivery is claimed by one task, each event is recorded once (its dedupe key)."""
    deliveries_reclaim_stale()
    due = deliveries_due()
    for delivery_id in due:
        send(DELIVER_TASK, delivery_id)
    events_catch_up()
    events_purge()
    return len(due)
