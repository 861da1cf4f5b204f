"""The request id travels with the tasks a request publishes (Celery signal receivers).

``chorus/celery.py`` connects these. Publishing stamps the current request id on the
message (a ``request_id`` header); a worker binds it (and the task's name and id) for the
time the task runs, so every line the task logs carries the id of the request that caused
it, and the tasks *it* publishes carry it on. A task run eagerly (tests, ``.apply()``) runs
inside its caller's context and already has the caller's id.
"""

from contextvars import Token
from typing import Any

from core.observability.context import (
    bind_request_id,
    bind_task,
    clean_request_id,
    current_request_id,
    unbind_request_id,
    unbind_task,
)

HEADER = "request_id"

# Tokens to undo what task_prerun bound, by task id (prefork runs one task at a time per
# process; the threads pool runs several, each in its own thread and context).
_bound: dict[str, tuple[Token, Token]] = {}


def on_before_task_publish(headers: dict | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if request_id and headers is not None and not headers.get(HEADER):
        headers[HEADER] = request_id


def on_task_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task is None or task_id is None:
        return
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return  # runs in the caller's context, which has the caller's id
    request_id = clean_request_id(getattr(request, HEADER, None))
    _bound[task_id] = (bind_request_id(request_id), bind_task(task.name, task_id))


def on_task_postrun(task_id: str | None = None, **kwargs: Any) -> None:
    tokens = _bound.pop(task_id, None) if task_id else None
    if tokens is None:
        return
    request_token, task_token = tokens
    try:
        unbind_task(task_token)
        unbind_request_id(request_token)
    except ValueError:  # bound in another context (cannot happen with Celery's pools)
        pass
