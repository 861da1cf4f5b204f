"""Celery tasks of the advocacy domain. Tasks take ids and call services; each says why
running it twice is harmless. Services enqueue them by name (``core.queueing``)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from advocacy.heartbeat import HEARTBEAT_TASK, heartbeat_record
from advocacy.services.posting import share_post
from advocacy.services.sweeps import shares_dispatch_due, shares_sweep_stale
from advocacy.services.tokens import accounts_refresh_due, accounts_warn_expiring
from core.queueing import send

logger = logging.getLogger(__name__)
# A posting task that finds the database gone tries again this often, this many times (a
# restart or failover takes seconds to a minute; after that the stale sweep takes over).
DB_RETRY_SECONDS = 10
DB_RETRIES = 12


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def heartbeat() -> None:
    """Record that a worker is consuming; running it twice only moves a timestamp."""
    heartbeat_record("worker")


@shared_task(name="advocacy.share_post", bind=True, acks_late=True, ignore_result=True)
def post_share(self, share_id: int) -> str | None:
    """Post one share. Twice is harmless: only the run that moves the row from *queued*
    to *posting* posts (see ``advocacy.services.posting``). A share that must wait (a
    retry, a full budget, its network's circuit breaker) is sent again with a countdown;
    if the broker refuses that, the row says when it is due and the stale sweep sends it.

    The database gone (a restart, a failover) is retried every ``DB_RETRY_SECONDS`` instead of
    waiting minutes for the stale sweep: a share not yet claimed is claimed then; one caught
    mid-post stays *posting* and is reconciled by the sweep, never posted blind."""
    try:
        outcome = share_post(share_id=share_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.is_eager or self.request.retries >= DB_RETRIES:
            raise
        logger.warning("database unavailable for share %s (%s); trying again in %ss", share_id, exc,
                       DB_RETRY_SECONDS)
        raise self.retry(exc=exc, countdown=DB_RETRY_SECONDS, max_retries=DB_RETRIES) from exc
    if outcome is None:
        return None
    if outcome.retry_in is not None and not self.request.is_eager:
        # (Run eagerly, a countdown would be ignored: the sweep sends it when it is due.)
        try:
            send("advocacy.share_post", share_id, countdown=outcome.retry_in)
        except Exception as exc:  # broker down: shares_sweep_stale dispatches it later
            logger.warning("could not schedule share %s again (%s); the sweep will", share_id, exc)
    return outcome.status


@shared_task(name="advocacy.shares_dispatch_due", ignore_result=True)
def dispatch_due_shares() -> int:
    """Every minute: scheduled shares whose time has come. A conditional UPDATE per share
    means overlapping runs enqueue each share once."""
    return shares_dispatch_due()


@shared_task(name="advocacy.shares_sweep_stale", ignore_result=True)
def sweep_stale_shares() -> dict:
    """Every two minutes: re-dispatch shares the broker lost (not those merely waiting for
    a retry or an open circuit breaker) and reconcile shares whose worker died mid-post.
    Re-dispatching is harmless (the claim is a conditional UPDATE)."""
    return shares_sweep_stale()


@shared_task(name="advocacy.tokens_refresh_due", ignore_result=True)
def refresh_due_tokens() -> int:
    """Every 10 minutes: refresh tokens about to expire (X 15 minutes ahead, LinkedIn refresh
    tokens days ahead). Refreshing is done under a lock and re-checks expiry after taking it,
    so concurrent runs refresh once."""
    return accounts_refresh_due()


@shared_task(name="advocacy.tokens_warn_expiring", ignore_result=True)
def warn_expiring_tokens() -> int:
    """Hourly: warn employees whose connection cannot renew itself and expires soon. Each
    warning has a dedupe key, so repeated runs warn once per threshold."""
    return accounts_warn_expiring()
