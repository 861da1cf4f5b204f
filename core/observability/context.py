"""The request id of the work in progress, in a context variable.

A web request gets one (``chorus.middleware.RequestIdMiddleware``: the client's
``X-Request-ID`` when it is sane, else a fresh one); tasks published during it carry it in
a message header (``core.observability.task_context``), so a share's posting task logs
with the id of the request that created the share. Context variables follow threads and
asyncio tasks, so concurrent requests never see each other's ids.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

# What we accept from a client or a proxy: ids such as UUIDs, hex or ``req-42:a.b`` up to
# 128 characters. Anything else (spaces, quotes, control characters, log-forging newlines,
# something huge) is replaced by an id of our own.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_request_id: ContextVar[str | None] = ContextVar("chorus_request_id", default=None)
# (task name, task id) while a Celery task runs in this context.
_task: ContextVar[tuple[str, str] | None] = ContextVar("chorus_task", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: object) -> str | None:
    """``value`` if it is an acceptable request id, else None."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str) and _SANE.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    return _request_id.get()


def current_task() -> tuple[str, str] | None:
    return _task.get()


def bind_request_id(value: str | None) -> Token:
    """Set the request id of this context; hand the token to ``unbind_request_id``."""
    return _request_id.set(value)


def unbind_request_id(token: Token) -> None:
    _request_id.reset(token)


def bind_task(name: str, task_id: str) -> Token:
    return _task.set((name, task_id))


def unbind_task(token: Token) -> None:
    _task.reset(token)


@contextmanager
def request_id_bound(value: str | None) -> Iterator[str | None]:
    token = bind_request_id(value)
    try:
        yield value
    finally:
        unbind_request_id(token)
