"""Celery tasks of the analytics app, all on the ``metrics`` queue (names start with
``metrics.``). Each takes no arguments or ids, calls a service, and says why running it
twice is harmless."""

from celery import shared_task
from django.utils import timezone

from analytics.periods import utc_day
from analytics.services.enrolment import enrolment_snapshot as take
from analytics.services.polling import engagement_poll_due
from analytics.services.rollups import rollup_run
from analytics.services.visitors import salts_purge


@shared_task(name="metrics.rollup", ignore_result=True)
def rollup() -> dict:
    """Every minute: flush buffered clicks and rebuild the rollups they touch. Twice is
    harmless: the flush and the sweep each run under a lock, flushed clicks are unique by
    event id, and rollups are rebuilt from raw rows rather than incremented."""
    result = rollup_run()
    return {"flushed": result.flushed, "pairs": result.pairs, "posted": result.posted}


@shared_task(name="metrics.poll_due", ignore_result=True)
def poll_due() -> dict:
    """Every five minutes: read engagement for shares that are due. Twice is harmless:
    each sweep leases its rows first, so overlapping sweeps never read a post twice."""
    result = engagement_poll_due()
    return {"polled": result.polled, "skipped": result.skipped, "delayed": result.delayed,
            "calls": dict(result.calls)}


@shared_task(name="metrics.enrolment_snapshot", ignore_result=True)
def enrolment_snapshot() -> int:
    """Hourly: (re)write today's enrolment snapshot; a rerun writes the same rows."""
    return take()


@shared_task(name="metrics.purge_salts", ignore_result=True)
def purge_salts() -> int:
    """Every six hours: delete visitor-key salts older than yesterday. Idempotent."""
    return salts_purge(today=utc_day(timezone.now()))

