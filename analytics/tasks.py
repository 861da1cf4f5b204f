"""Celery tasks of the analytics app, all on the ``metrics`` queue (names start with
``metrics.``). Each takes no arguments or ids, calls a service, and says why running it
twice is harmless."""

from celery import shared_task
from django.utils import timezone

from analytics.pages import pages_refresh
from analytics.panels import panels_refresh as refresh_panels
from analytics.periods import utc_day
from analytics.services.enrolment import enrolment_snapshot as take
from analytics.services.polling import engagement_poll_due
from analytics.services.retention import raw_rows_purge
from analytics.services.rollups import rollup_run, rollup_settled
from analytics.services.visitors import salts_purge
from core.queueing import enqueue

# A backlog's next run waits this long, so that the minute's rollup gets its turn on the queue.
PURGE_AGAIN_SECONDS = 60


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


@shared_task(name="metrics.panels_refresh", ignore_result=True)
def panels_refresh() -> dict:
    """Every few minutes, once the rollup's sweep (if one runs) is done: recount the
    analytics page's period-independent panels, and the unfiltered quick periods' figures
    whose inputs changed, into their snapshot. Twice is harmless: each run replaces whole
    rows with a fresh count."""
    rollup_settled()
    as_of = refresh_panels().as_of
    periods = pages_refresh()
    return {"as_of": as_of.isoformat(), "counted": periods.counted, "unchanged": periods.unchanged,
            "seconds": periods.seconds}


@shared_task(name="metrics.purge_salts", ignore_result=True)
def purge_salts() -> int:
    """Every six hours: delete visitor-key salts older than yesterday. Idempotent."""
    return salts_purge(today=utc_day(timezone.now()))



@shared_task(name="metrics.purge_raw", ignore_result=True)
def purge_raw() -> dict:
    """Daily: delete raw clicks and snapshots past their retention, in batches, once the
    rollups have counted them; queues itself again while old rows remain (a backlog).
    Twice is harmless: each batch deletes an id range of rows that are old and counted,
    so a second run (or two at once) finds nothing, or carries on where the other stopped."""
    result = raw_rows_purge()
    if result.more:
        enqueue("metrics.purge_raw", countdown=PURGE_AGAIN_SECONDS)
    return {"clicks": result.clicks, "snapshots": result.snapshots, "batches": result.batches,
            "more": result.more}
