"""Notification tasks, all on the ``notify`` queue (``notify.*`` is routed there) so that a
digest run never delays a share. Tasks take ids and call services; each says why running
it twice is harmless."""

import uuid

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from content.models import ContentItem
from core.queueing import send
from core.retry import backoff
from notifications.models import DeliveryKind
from notifications.services.channels import Channel, ChannelTransientError, channel_announce
from notifications.services.deliveries import (
    SendReport,
    chunked,
    deliveries_retry_due,
    deliveries_send,
)
from notifications.services.digests import digest_chunk
from notifications.services.fanout import fanout_chunk, fanout_plan, fanout_sweep
from notifications.services.push import push_notifications_send, push_pairs_send
from notifications.services.schedule import due_user_ids
from notifications.services.slack import SLACK
from notifications.services.teams import TEAMS


def _token(task) -> str:
    """The claim token of a run: the task id, which Celery keeps when it re-delivers a
    task whose worker died, so the re-run finishes its own claimed rows."""
    return (getattr(task.request, "id", None) or uuid.uuid4().hex)[:64]


def _report(report: SendReport) -> dict:
    return {"sent": report.sent, "skipped": report.skipped, "failed": report.failed}


@shared_task(name="notify.fanout_plan", ignore_result=True)
def fanout_plan_task(item_id: int) -> int:
    """Split an item's recipients into chunks. Twice is harmless: only the run that moves
    the fan-out row from pending to dispatched plans."""
    return fanout_plan(item_id=item_id)


@shared_task(name="notify.fanout_chunk", bind=True, acks_late=True, ignore_result=True)
def fanout_chunk_task(self, item_id: int, user_ids: list[int]) -> int:
    """Notify one chunk about a new item. Twice is harmless: notifications and email
    claims are unique per person and item, inserted with ON CONFLICT DO NOTHING."""
    return fanout_chunk(item_id=item_id, user_ids=user_ids, claim_token=_token(self))


@shared_task(name="notify.fanout_sweep", ignore_result=True)
def fanout_sweep_task() -> int:
    """Every two minutes: plan fan-outs recorded while the broker was down. Harmless to
    repeat: planning is claimed by a conditional UPDATE."""
    item_ids = fanout_sweep()
    for item_id in item_ids:
        send("notify.fanout_plan", item_id)
    return len(item_ids)


@shared_task(name="notify.slack_post", bind=True, ignore_result=True, max_retries=5)
def slack_post_task(self, webhook_id: int, item_id: int) -> str | bool:
    """Announce an item in one team's Slack channel, at most once (``channel_announce``);
    retried only when Slack certainly did not take the message."""
    return _announce(self, SLACK, webhook_id, item_id)


@shared_task(name="notify.teams_post", bind=True, ignore_result=True, max_retries=5)
def teams_post_task(self, webhook_id: int, item_id: int) -> str | bool:
    """Announce an item in one team's Microsoft Teams channel, at most once
    (``channel_announce``); retried only when Teams certainly did not take the message."""
    return _announce(self, TEAMS, webhook_id, item_id)


def _announce(task, channel: Channel, webhook_id: int, item_id: int) -> str | bool:
    webhook = channel.webhook_model.objects.filter(pk=webhook_id, is_active=True).first()
    item = ContentItem.objects.filter(pk=item_id).first()
    if webhook is None or item is None or not item.is_live:
        return False
    try:
        return channel_announce(channel, webhook=webhook, item=item)
    except ChannelTransientError as exc:
        countdown = backoff(task.request.retries + 1, base=30, cap=3600, full_jitter=False)
        raise task.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="notify.digests_due", ignore_result=True)
def digests_due_task() -> int:
    """Hourly: enqueue the weekly and daily digests whose local time has come. Two runs
    (or two beats) are harmless: advocates already claimed for the period are excluded,
    and the claim itself is unique per (user, kind, period)."""
    chunks = 0
    now = timezone.now()
    for kind in (DeliveryKind.WEEKLY_DIGEST, DeliveryKind.DAILY_DIGEST):
        for period, user_ids in due_user_ids(kind=kind, now=now).items():
            for chunk in chunked(user_ids, settings.DIGEST_CHUNK_SIZE):
                send("notify.digest_chunk", str(kind), period, chunk)
                chunks += 1
    return chunks


@shared_task(name="notify.digest_chunk", bind=True, acks_late=True, ignore_result=True)
def digest_chunk_task(self, kind: str, period: str, user_ids: list[int]) -> dict:
    """Send one chunk's digests for ``period``. Twice is harmless: see ``digests_due``."""
    return _report(digest_chunk(kind=kind, period=period, user_ids=user_ids, claim_token=_token(self)))


@shared_task(name="notify.retry_due", ignore_result=True)
def retry_due_task() -> int:
    """Every five minutes: re-claim failed emails whose retry time has come (and rows of
    runs that died) and send them. Each row is re-claimed by one sweep only."""
    tokens = deliveries_retry_due()
    for token in tokens:
        send("notify.send_claimed", token)
    return len(tokens)


@shared_task(name="notify.send_claimed", acks_late=True, ignore_result=True)
def send_claimed_task(claim_token: str) -> dict:
    """Send the pending deliveries claimed with ``claim_token``; a second run finds them
    sent (only pending rows are picked)."""
    return _report(deliveries_send(claim_token=claim_token))


@shared_task(name="notify.push_send", bind=True, acks_late=True, ignore_result=True, max_retries=4)
def push_send_task(self, notification_ids: list[int], retry_pairs: list[list[int]] | None = None) -> dict:
    """Web Push these notifications to their people's devices. Twice is harmless: only the
    run that claims a notification pushes it, a re-delivered run (same task id) re-sends its
    own claims and the device replaces a notification with the same tag. Retries only the
    (notification, device) pairs that failed in a way that may pass (no answer, 429, 5xx)."""
    if retry_pairs:
        report = push_pairs_send(pairs=retry_pairs)
    else:
        report = push_notifications_send(notification_ids=notification_ids, claim_token=_token(self))
    if report.retry and self.request.retries < self.max_retries:
        countdown = backoff(self.request.retries + 1, base=30, cap=1800, full_jitter=False)
        raise self.retry(args=[notification_ids], kwargs={"retry_pairs": report.retry}, countdown=countdown)
    return {"sent": report.sent, "gone": report.gone, "failed": report.failed}
