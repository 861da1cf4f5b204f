"""Cheap questions about webhook endpoints, asked on hot paths.

``share_posted_wanted``: may any endpoint want a ``share.posted`` event? Every share a
worker posts announces itself (``advocacy.signals.share_posted``) inside the transaction
that records it, and recording the event starts by looking for subscribers: a savepoint
and a query, three round trips to the database per share, on installations that mostly
have no endpoint at all. So the answer is kept per process for ``SUBSCRIBERS_TTL``
seconds. It is only a shortcut for "no":

- "yes" (or not known) runs the usual recording, which looks the endpoints up itself: an
  endpoint disabled or unsubscribed meanwhile simply gets nothing, as before.
- "no" skips the recording. An endpoint created or turned on in *this* process (the
  admin, the API) forgets the answer at once (``post_save``/``post_delete`` of
  ``WebhookEndpoint``); one created in another process is seen by every process within
  ``SUBSCRIBERS_TTL`` seconds, and a ``share.posted`` a worker skipped in between is
  recorded by the catch-up (``events_catch_up``, beat), which looks at the shares posted
  after the endpoint was created and has no event yet — late by a minute or two, never
  lost. Only event types that the catch-up covers may be answered from here.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from webhooks.models import EventType, WebhookEndpoint

SUBSCRIBERS_TTL = 10.0  # seconds a process trusts its answer
_clock = time.monotonic  # (tests move it)

_lock = threading.Lock()
_answers: dict[str, tuple[bool, float]] = {}  # event type -> (wanted, until when (monotonic))


def _wanted(event_type: str) -> bool:
    now = _clock()
    known = _answers.get(event_type)
    if known is not None and known[1] > now:
        return known[0]
    wanted = any(
        event_type in (events or [])
        for events in WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
    )
    with _lock:
        _answers[event_type] = (wanted, now + SUBSCRIBERS_TTL)
    return wanted


def share_posted_wanted() -> bool:
    """Whether a ``share.posted`` event should be recorded now (see the module's doc)."""
    return _wanted(EventType.SHARE_POSTED)


def subscribers_forget(**kwargs: Any) -> None:
    """An endpoint was saved or deleted in this process: ask the database next time."""
    with _lock:
        _answers.clear()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(subscribers_forget, sender=WebhookEndpoint, dispatch_uid="webhooks.subscribers_forget.save")
    post_delete.connect(subscribers_forget, sender=WebhookEndpoint, dispatch_uid="webhooks.subscribers_forget.delete")
