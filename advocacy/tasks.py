"""Celery tasks of the advocacy domain. Tasks take ids and call services."""

from celery import shared_task

from advocacy.heartbeat import HEARTBEAT_TASK, heartbeat_record


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def heartbeat() -> None:
    """Record that a worker is consuming; running it twice only moves a timestamp."""
    heartbeat_record("worker")
