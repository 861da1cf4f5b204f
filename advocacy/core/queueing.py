"""The one way Chorus enqueues work.

Work is always recorded in the database first; enqueueing only tells a worker to
look at it. If the broker is down the web request still succeeds and a beat sweep
picks the row up later, so a failed publish is logged, not raised.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` with ``args`` once the current transaction commits."""

    def _send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception as exc:  # broker down: the sweep will dispatch it later
            logger.warning("could not enqueue %s (%s); a sweep will retry", task.name, exc)

    transaction.on_commit(_send)
