"""Celery tasks of the advocacy domain. Tasks take ids and call services; each says why
running it twice is harmless. Services enqueue them by name (``core.queueing``)."""

from celery import shared_task

from advocacy.heartbeat import HEARTBEAT_TASK, heartbeat_record
from advocacy.services.posting import share_post, shares_dispatch_due, shares_sweep_stale
from advocacy.services.tokens import accounts_refresh_due, accounts_warn_expiring
from core.queueing import send


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def heartbeat() -> None:
    """Record that a worker is consuming; running it twice only moves a timestamp."""
    heartbeat_record("worker")


@shared_task(name="advocacy.share_post", acks_late=True, ignore_result=True)
def post_share(share_id: int) -> str | None:
    """Post one share. Twice is harmless: only the run that moves the row from *queued*
    to *posting* posts (see ``advocacy.services.posting``)."""
    outcome = share_post(share_id=share_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None:
        send("advocacy.share_post", share_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="advocacy.shares_dispatch_due", ignore_result=True)
def dispatch_due_shares() -> int:
    """Every minute: scheduled shares whose time has come. A conditional UPDATE per share
    means overlapping runs enqueue each share once."""
    return shares_dispatch_due()


@shared_task(name="advocacy.shares_sweep_stale", ignore_result=True)
def sweep_stale_shares() -> dict:
    """Every two minutes: re-dispatch shares the broker lost and reconcile shares whose
    worker died mid-post. Re-dispatching is harmless (the claim is a conditional UPDATE)."""
    return shares_sweep_stale()


@shared_task(name="advocacy.tokens_refresh_due", ignore_result=True)
def refresh_due_tokens() -> int:
    """Every 10 minutes: refresh X tokens about to expire. Refreshing is done under a lock
    and re-checks expiry after taking it, so concurrent runs refresh once."""
    return accounts_refresh_due()


@shared_task(name="advocacy.tokens_warn_expiring", ignore_result=True)
def warn_expiring_tokens() -> int:
    """Hourly: warn employees whose LinkedIn connection expires in 7 days / 1 day. Each
    warning has a dedupe key, so repeated runs warn once per threshold."""
    return accounts_warn_expiring()
