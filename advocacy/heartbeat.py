"""Heartbeats: beat stamps when it publishes the heartbeat task, a worker when it runs it.

``/healthz`` (``chorus.health``) reads the ages; ``AdvocacyConfig.ready`` connects the
Celery hooks below. Both processes also stamp the moment they are up (``beat_init``,
``worker_ready``), so ``/healthz`` turns healthy seconds after a start, not after the
first 30-second schedule tick.
"""

import logging
from datetime import datetime
from typing import Any

from celery.signals import beat_init, before_task_publish, worker_ready
from django.utils import timezone

from advocacy.models import Heartbeat

HEARTBEAT_TASK = "advocacy.heartbeat"

logger = logging.getLogger(__name__)


def heartbeat_record(name: str, *, at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": at or timezone.now()})


def heartbeat_ages(now: datetime | None = None) -> dict[str, float | None]:
    """Seconds since ``beat`` and ``worker`` were last seen (None: never)."""
    now = now or timezone.now()
    seen = dict(Heartbeat.objects.values_list("name", "last_seen"))
    return {
        name: (now - seen[name]).total_seconds() if name in seen else None
        for name in ("worker", "beat")
    }


def _beat_heartbeat(sender: str | None = None, **kwargs: Any) -> None:
    # Only beat publishes the heartbeat task, so publishing it proves beat is alive.
    if sender == HEARTBEAT_TASK:
        heartbeat_record("beat")


def _beat_started(sender: Any = None, **kwargs: Any) -> None:
    heartbeat_record("beat")
    try:  # a worker answering it stamps "worker" too; the schedule sends it again anyway
        sender.app.send_task(HEARTBEAT_TASK, queue="default", expires=60)
    except Exception as exc:  # the broker may still be starting: the schedule retries
        logger.warning("first heartbeat not sent (%s)", exc)


def _worker_started(sender: Any = None, **kwargs: Any) -> None:
    heartbeat_record("worker")


def connect() -> None:
    before_task_publish.connect(_beat_heartbeat, dispatch_uid="advocacy.beat_heartbeat")
    beat_init.connect(_beat_started, dispatch_uid="advocacy.beat_started")
    worker_ready.connect(_worker_started, dispatch_uid="advocacy.worker_started")
