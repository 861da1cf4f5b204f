"""Reading what the broker holds for a task (core.broker), on a real redis-server as Celery's
broker: the queue's lists (one per priority step), and the messages workers reserved."""

import pytest
import redis
from kombu import Consumer

from chorus.celery import app as celery_app
from core.broker import task_messages
from core.queueing import task_named
from tests.conftest import RedisServer
from tests.support import celery_broker

POST = "advocacy.share_post"


@pytest.fixture
def broker():
    server = RedisServer()
    server.start()
    try:
        with celery_broker(server.url):
            yield redis.Redis.from_url(server.url)
    finally:
        server.stop()


def test_messages_of_the_task_in_every_priority_list_with_their_ids_and_arguments(broker):
    post = task_named(POST)
    post.apply_async(args=(7,), task_id="seven", countdown=60)
    post.apply_async(args=(8,), task_id="eight", priority=5)  # kombu's list "shares\x06\x163"
    task_named("advocacy.heartbeat").apply_async(queue="shares")  # another task in the same queue
    held = task_messages(POST, max_scan=100)
    assert held.complete
    by_id = {m.task_id: m for m in held.messages}
    assert set(by_id) == {"seven", "eight"}
    assert by_id["seven"].args == (7,) and by_id["seven"].eta is not None and by_id["seven"].reserved_at is None
    assert by_id["eight"].args == (8,) and by_id["eight"].eta is None


def test_reserved_messages_are_read_from_the_unacked_hash(broker):
    task_named(POST).apply_async(args=(9,), task_id="nine")
    connection = celery_app.connection_for_read()
    taken = []
    consumer = Consumer(connection, queues=[celery_app.amqp.queues["shares"]], accept=["json"],
                        callbacks=[lambda body, message: taken.append(message)])
    consumer.consume()
    try:
        while not taken:
            connection.drain_events(timeout=5)
        [message] = task_messages(POST, max_scan=100).messages
        assert message.task_id == "nine" and message.reserved_at is not None
        assert broker.llen("shares") == 0
    finally:
        consumer.cancel()
        connection.release()


def test_a_scan_cut_short_says_so(broker):
    for n in range(3):
        task_named(POST).apply_async(args=(n,))
    held = task_messages(POST, max_scan=2)
    assert not held.complete and len(held.messages) == 2
    assert task_messages(POST, max_scan=3).complete


def test_eager_mode_has_no_broker_to_read():
    assert celery_app.conf.task_always_eager  # the test settings
    assert task_messages(POST, max_scan=100) is None
