"""Celery signal hooks."""

from typing import Any

from celery.signals import before_task_publish

from advocacy.heartbeat import HEARTBEAT_TASK, heartbeat_record


@before_task_publish.connect(dispatch_uid="advocacy.beat_heartbeat")
def _beat_heartbeat(sender: str | None = None, **kwargs: Any) -> None:
    # Only beat publishes the heartbeat task, so publishing it proves beat is alive.
    if sender == HEARTBEAT_TASK:
        heartbeat_record("beat")
