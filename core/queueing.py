"""The one way Chorus enqueues work.

Work is always recorded in the database first; enqueueing only tells a worker to
look at it. If the broker is down the web request still succeeds and a beat sweep
picks the row up later, so a failed publish is logged, not raised.

Tasks are named, not imported: a service enqueues ``"advocacy.share_post"`` by its
stable Celery name, so each app's ``tasks`` module can import its services at the top
and no service ever imports a ``tasks`` module (no import cycle to hide).
"""

import logging
import time
from typing import Any

import kombu.exceptions
import redis
from celery import Task, current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# Until when (time.monotonic()) this process skips publishing after a failure.
_broker_down_until = 0.0


def task_named(name: str) -> Task:
    """The registered task called ``name`` (a ``KeyError`` names a task that does not exist)."""
    tasks = current_app.tasks
    if name not in tasks:
        # Web and shell processes import the apps' tasks modules only when first needed.
        current_app.loader.import_default_modules()
    return tasks[name]


def send(name: str, *args: Any, countdown: float | None = None, **kwargs: Any) -> None:
    """Send the task called ``name`` now. Raises if the broker is down: callers that
    must not fail say what happens instead (a sweep, or a row put back to pending)."""
    task_named(name).apply_async(args=args, kwargs=kwargs, countdown=countdown)


def enqueue(name: str, *args: Any, countdown: float | None = None, task_id: str | None = None,
            **kwargs: Any) -> None:
    """Send the task called ``name`` once the current transaction commits (``countdown``
    seconds later, if given; as Celery task ``task_id``, if given: a caller that records it
    can later look for its message in the broker); a broker that is down is logged, and the
    beat sweep of that work dispatches it later."""
    task = task_named(name)

    def _send() -> None:
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            logger.info("broker down: %s not enqueued now; a sweep will dispatch it", name)
            return
        try:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown or None, task_id=task_id)
        except (kombu.exceptions.OperationalError, redis.RedisError, OSError) as exc:
            # The broker is down or hung: stop trying for a while; the sweep dispatches it.
            _broker_down_until = time.monotonic() + settings.BROKER_BACKOFF_SECONDS
            logger.warning("could not enqueue %s (%s); a sweep will retry", name, exc)
        except Exception as exc:  # anything else: the sweep will dispatch it later
            logger.warning("could not enqueue %s (%s); a sweep will retry", name, exc)

    transaction.on_commit(_send)
