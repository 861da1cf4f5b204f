"""Heartbeats: beat stamps when it publishes the heartbeat task, a worker when it runs it.

``/healthz`` (``chorus.health``) reads the ages; ``AdvocacyConfig.ready`` connects the
Celery hook below.
"""

from datetime import datetime
from typing import Any

from celery.signals import before_task_publish
from django.utils import timezone

from advocacy.models import Heartbeat

HEARTBEAT_TASK = "advocacy.heartbeat"


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


def connect() -> None:
    before_task_publish.connect(_beat_heartbeat, dispatch_uid="advocacy.beat_heartbeat")
