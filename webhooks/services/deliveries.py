"""Delivering one event to one endpoint: claim, sign, POST, record, retry.

**The row is the claim.** A task may only send a delivery it moved from *pending* to
*sending* with one conditional UPDATE (``WHERE status = 'pending' AND next_attempt_at <=
now``) that also stamps a fresh ``claim_token``; two tasks for one delivery (a doubled
message, the sweep racing the original task) send once, and the outcome is recorded only
by the claim's holder.

**Retries.** A 2xx is success. Anything else (another status, a redirect, no answer, an
address the SSRF policy refuses now) is a failed attempt, logged with its status code,
duration and the start of the answer; the delivery goes back to *pending* with
``next_attempt_at`` set by ``core.retry.backoff`` (``WEBHOOKS_RETRY_BASE_SECONDS``
doubling up to ``WEBHOOKS_RETRY_CAP_SECONDS``, plus up to a fifth as jitter; never sooner
than a ``Retry-After``), until ``WEBHOOKS_MAX_ATTEMPTS`` → *failed*. A 410 Gone fails it at
once and disables the endpoint (``endpoints.endpoint_note_failure``).

**A worker that dies mid-request** leaves the row *sending*: the receiver may or may not
have it. We chose at-least-once over losing it: after ``WEBHOOKS_STALE_SENDING_SECONDS``
(well past the request timeout and the task time limit) the sweep counts that attempt as
failed ("worker stopped") and the delivery is sent again with the **same** ``webhook-id``,
the event's id, which Standard Webhooks receivers use to drop the duplicate. Outside that
crash, and a timeout after the receiver got the request, a delivery is never sent twice.

**Lost messages.** Retries due within ``WEBHOOKS_COUNTDOWN_MAX_SECONDS`` are queued with a
countdown; later ones, and any pending delivery whose message was lost (the broker was
down), are sent by the sweep (``deliveries_due``) once ``LOST_AFTER`` past due.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from core.queueing import enqueue
from core.retry import backoff
from webhooks.models import DeliveryStatus, EventType, WebhookAttempt, WebhookDelivery
from webhooks.services.endpoints import endpoint_note_failure, endpoint_note_success
from webhooks.signing import signed_headers
from webhooks.transport import Answer, FetchError, post

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.deliver"
LOST_AFTER = timedelta(seconds=60)
WORKER_STOPPED = ("The worker stopped during this attempt; whether the receiver got it is unknown, so it is "
                  "sent again with the same webhook-id.")


@dataclass(frozen=True)
class Outcome:
    status: str  # the delivery's status after this attempt ("paused": its endpoint is off)
    retry_in: float | None = None  # seconds until the next attempt is due


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> Outcome | None:
    """Make the next attempt of a due delivery; None when there is nothing to do (not
    pending, not due yet, or claimed by another task)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    if not WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.is_active and event.type != EventType.TEST:
        mine(delivery, token).update(status=DeliveryStatus.PENDING, claim_token="", attempts=F("attempts") - 1)
        return Outcome("paused")
    answer, error, duration_ms = _send(delivery)
    WebhookAttempt.objects.create(
        delivery=delivery, number=delivery.attempt_log.count() + 1, started_at=now, duration_ms=duration_ms,
        status_code=answer.status if answer else None, response_body=answer.body if answer else "", error=error,
    )
    if answer is not None and 200 <= answer.status < 300:
        mine(delivery, token).update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, last_status_code=answer.status,
                                     last_error="", claim_token="", next_attempt_at=None)
        endpoint_note_success(endpoint_id=endpoint.pk, now=now)
        return Outcome(DeliveryStatus.SUCCEEDED)
    if answer is not None:
        error = f"The receiver answered HTTP {answer.status}."
    return _failed(delivery, token, now=now, answer=answer, error=error)


def mine(delivery: WebhookDelivery, token: str):
    """The delivery, only while this claim holds it."""
    return WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token, status=DeliveryStatus.SENDING)


def _send(delivery: WebhookDelivery) -> tuple[Answer | None, str, int]:
    endpoint, event = delivery.endpoint, delivery.event
    sent_at = datetime.now(UTC)  # the attempt's real time: receivers check it against their clock
    headers = signed_headers(secrets_=endpoint.signing_secrets(), msg_id=event.webhook_id, body=event.body,
                             at=sent_at)
    started = time.monotonic()
    try:
        answer = post(endpoint.url, body=event.body.encode(), headers=headers, timeout=settings.WEBHOOKS_TIMEOUT)
        error = ""
    except FetchError as exc:
        answer, error = None, exc.reason
        logger.info("webhook delivery %s to endpoint %s failed: %s", delivery.pk, endpoint.pk, exc.reason)
    return answer, error[:500], int((time.monotonic() - started) * 1000)


def _failed(delivery: WebhookDelivery, token: str, *, now: datetime, answer: Answer | None, error: str) -> Outcome:
    gone = answer is not None and answer.status == 410
    retry_in = None
    if gone or delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        fields = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        retry_in = backoff(delivery.attempts, base=settings.WEBHOOKS_RETRY_BASE_SECONDS,
                           cap=settings.WEBHOOKS_RETRY_CAP_SECONDS, retry_after=answer.retry_after if answer else None,
                           full_jitter=False)
        fields = {"status": DeliveryStatus.PENDING, "next_attempt_at": now + timedelta(seconds=retry_in)}
    mine(delivery, token).update(last_status_code=answer.status if answer else None, last_error=error[:500],
                                 claim_token="", **fields)
    endpoint_note_failure(endpoint_id=delivery.endpoint_id, now=now, gone=gone)
    return Outcome(fields["status"], retry_in=retry_in)


# --- beat ---------------------------------------------------------------------------------


def deliveries_reclaim_stale(*, now: datetime | None = None) -> int:
    """Deliveries left *sending* by a worker that died: the attempt counts as failed and
    the delivery is due again at once (see the module docstring). Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WEBHOOKS_STALE_SENDING_SECONDS)
    reclaimed = 0
    for delivery in WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff)[:500]:
        exhausted = delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS
        if not mine(delivery, delivery.claim_token).update(
            status=DeliveryStatus.FAILED if exhausted else DeliveryStatus.PENDING, claim_token="",
            next_attempt_at=None if exhausted else now, last_status_code=None, last_error=WORKER_STOPPED[:500],
        ):
            continue
        WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempt_log.count() + 1,
                                      started_at=delivery.claimed_at or now, error=WORKER_STOPPED[:500])
        reclaimed += 1
    return reclaimed


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries past due by ``LOST_AFTER`` (a long retry left to the sweep, or a
    lost message), on active endpoints (test events whatever the endpoint's state)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - LOST_AFTER)
        .filter(Q(endpoint__is_active=True) | Q(event__type=EventType.TEST))
        .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )


def deliveries_resend(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """The delivery log's "Send again": failed deliveries get a fresh set of attempts (same
    event, same ``webhook-id``) and are queued. Returns how many."""
    failed = list(WebhookDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.FAILED)
                  .values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=failed, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now(), last_error=""
    )
    for pk in failed:
        enqueue(DELIVER_TASK, pk)
    return len(failed)
