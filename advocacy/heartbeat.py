"""Heartbeats: beat stamps when it publishes the heartbeat task, a worker when it runs it."""

from datetime import datetime

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
