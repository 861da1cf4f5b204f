"""What the broker still holds for a task: the messages waiting in its queue and the ones a
worker has reserved. A sweep asks this before sending work again, so that work merely
waiting behind a busy worker is not sent twice.

Only Celery's Redis transport can be read this way (kombu keeps a queue as a Redis list,
one list per priority step, and every message a worker has taken but not yet acknowledged
in the ``unacked`` hash, with the time it was taken in ``unacked_index``). With
``acks_late`` a task's message stays there while it waits in the worker (prefetched, or
held until its ``countdown``) and while it runs, so "reserved or active on a worker" is
read from Redis, not asked of the workers (a broadcast that waits for every one of them).
Any other broker, or eager mode, answers None: the caller cannot tell.

Kombu's names are taken from the connection's channel, so transport options such as
``global_keyprefix`` or other ``unacked_key`` names are followed.
"""

import ast
import base64
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import kombu.exceptions
import redis
from celery import current_app
from kombu.serialization import loads

logger = logging.getLogger(__name__)

_CHUNK = 1000


@dataclass(frozen=True)
class TaskMessage:
    """One message of the task in the broker."""

    task_id: str
    args: tuple
    kwargs: dict
    reserved_at: float | None  # epoch seconds a worker took it; None while it waits in the queue
    eta: float | None  # epoch seconds of its countdown, if it has one


@dataclass(frozen=True)
class BrokerMessages:
    messages: list[TaskMessage]
    # False when there were more than ``max_scan`` messages to read: some were not looked at.
    complete: bool


def task_messages(name: str, *, max_scan: int) -> BrokerMessages | None:
    """The messages of task ``name`` in its queue and reserved by workers, reading at most
    ``max_scan`` of each; None if the broker cannot be read (not Redis, eager, or down)."""
    app = current_app
    if app.conf.task_always_eager:
        return None
    queue = app.amqp.router.route({}, name, (), {})["queue"].name
    try:
        # One try to connect (kombu would retry for broker_connection_timeout): the sweep runs again soon.
        with app.connection_for_read(transport_options={"max_retries": 0}) as connection:
            if connection.transport.driver_type != "redis":
                return None
            channel = connection.default_channel
            waiting, read_all = _waiting(channel, queue, name, max_scan)
            reserved, read_all_reserved = _reserved(channel, name, max_scan)
    except (kombu.exceptions.OperationalError, redis.RedisError, OSError) as exc:
        logger.warning("could not read the broker's %s queue (%s)", queue, type(exc).__name__)
        return None
    return BrokerMessages(messages=waiting + reserved, complete=read_all and read_all_reserved)


def _waiting(channel: Any, queue: str, name: str, max_scan: int) -> tuple[list[TaskMessage], bool]:
    """Read before the reserved ones: a message a worker takes meanwhile is then found there.
    (Kombu pops a message and records it as unacknowledged in two steps; one caught in
    between is missed, and sent again: harmless, if rare, for work that is claimed.)"""
    client = channel.client
    lists = [queue] + [f"{queue}{channel.sep}{step}" for step in channel.priority_steps if step]
    found: list[TaskMessage] = []
    read = 0
    for at, key in enumerate(lists):
        start = 0
        while read < max_scan:
            raw = client.lrange(key, start, start + min(_CHUNK, max_scan - read) - 1)
            if not raw:
                break
            read += len(raw)
            start += len(raw)
            found += [m for m in (_parse(item, name, reserved_at=None) for item in raw) if m is not None]
        else:  # out of budget: complete only if nothing was left unread
            return found, client.llen(key) <= start and not any(client.llen(k) for k in lists[at + 1:])
    return found, True


def _reserved(channel: Any, name: str, max_scan: int) -> tuple[list[TaskMessage], bool]:
    client = channel.client
    entries: list[tuple[bytes, bytes]] = []
    cursor = 0
    complete = True
    while True:
        cursor, batch = client.hscan(channel.unacked_key, cursor, count=_CHUNK)
        entries += list(batch.items())
        if not cursor:
            break
        if len(entries) >= max_scan:
            complete = False
            break
    mine: list[tuple[bytes, dict]] = []
    for tag, raw in entries:
        try:
            payload = json.loads(raw)[0]  # [message, exchange, routing key]
        except (ValueError, IndexError, KeyError, TypeError):
            continue
        if isinstance(payload, dict) and (payload.get("headers") or {}).get("task") == name:
            mine.append((tag, payload))
    if not mine:
        return [], complete
    pipe = client.pipeline(transaction=False)
    for tag, _ in mine:
        pipe.zscore(channel.unacked_index_key, tag)
    taken_at = pipe.execute()
    now = time.time()
    found = []
    for (_, payload), taken in zip(mine, taken_at, strict=True):
        # Not in the index: being acknowledged or restored right now; count it as just taken.
        message = _parse(payload, name, reserved_at=float(taken) if taken is not None else now)
        if message is not None:
            found.append(message)
    return found, complete


def _parse(raw: bytes | dict, name: str, *, reserved_at: float | None) -> TaskMessage | None:
    """The message if it is one of task ``name``'s (protocol 2: the task and id in the
    headers, ``[args, kwargs, embed]`` in the body); None for others or unreadable ones."""
    try:
        message = raw if isinstance(raw, dict) else json.loads(raw)
        headers = message.get("headers") or {}
        if headers.get("task") != name:
            return None
        args, kwargs = _arguments(message, headers)
        eta = headers.get("eta")
        return TaskMessage(
            task_id=str(headers.get("id", "")), args=tuple(args), kwargs=dict(kwargs), reserved_at=reserved_at,
            eta=datetime.fromisoformat(eta).timestamp() if eta else None,
        )
    except (ValueError, TypeError, AttributeError, KeyError):
        logger.warning("an unreadable %s message in the broker was ignored", name)
        return None


def _arguments(message: dict, headers: dict) -> tuple[list, dict]:
    try:
        body = message["body"]
        if (message.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = loads(body, message.get("content-type"), message.get("content-encoding"))
        args, kwargs = decoded[0], decoded[1]
        return list(args), dict(kwargs)
    except Exception:  # noqa: BLE001 - compressed or otherwise unreadable: the headers' repr, else nothing
        try:
            return list(ast.literal_eval(headers.get("argsrepr") or "()")), {}
        except (ValueError, SyntaxError):
            return [], {}
