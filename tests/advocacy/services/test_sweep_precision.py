"""The stale sweep sends a queued share again only if its message is really gone (issue 16,
item 4): not while it waits in the ``shares`` queue behind busy workers, nor while a worker
has reserved it; yes when the queue lost it, or when the worker that reserved it died.

The broker is a real redis-server (this module's own); a worker's reservation is made the
way a Celery worker makes it with ``acks_late``: a kombu consumer takes the message and does
not acknowledge it (the Redis transport moves it to its ``unacked`` hash)."""

import json
import logging
import time

import pytest
import redis
from django.utils import timezone
from kombu import Consumer

import core.queueing
from advocacy.models import Share
from advocacy.services.posting import POST_TASK, STALE_QUEUED, new_dispatch_id, share_dispatch
from advocacy.services.sweeps import shares_sweep_stale
from chorus.celery import app as celery_app
from tests.advocacy.services.fake_network import make_share
from tests.conftest import RedisServer, free_port
from tests.factories import SocialAccountFactory, UserFactory, published_item
from tests.support import celery_broker

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def broker_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(broker_server, settings):
    """The Celery broker (and Chorus's Redis) on this module's redis-server, emptied."""
    broker_server.flush()
    settings.REDIS_URL = broker_server.url
    with celery_broker(broker_server.url):
        yield redis.Redis.from_url(broker_server.url)


@pytest.fixture
def share():
    user = UserFactory()
    account = SocialAccountFactory(user=user, network="linkedin", refresh_token="")
    return make_share(user, account, published_item(url="https://example.com/story"))


def _dispatch(share, capture, *, countdown=None) -> str:
    """What a sweep's dispatch does: record the task id, then send the message."""
    dispatch_id = new_dispatch_id()
    Share.objects.filter(pk=share.pk).update(dispatch_id=dispatch_id)
    with capture(execute=True):
        share_dispatch(share.pk, dispatch_id=dispatch_id, countdown=countdown)
    return dispatch_id


def _make_stale(share) -> None:
    old = timezone.now() - 2 * STALE_QUEUED
    Share.objects.filter(pk=share.pk).update(enqueued_at=old, next_attempt_at=old)


def _sweep(capture) -> dict:
    with capture(execute=True):
        return shares_sweep_stale()


def _queued_messages(client) -> list[dict]:
    return [json.loads(raw) for raw in client.lrange("shares", 0, -1)]


@pytest.fixture
def worker():
    """A worker that reserves posting messages and does not acknowledge them (yet)."""
    connection = celery_app.connection_for_read()
    taken = []
    consumer = Consumer(connection, queues=[celery_app.amqp.queues["shares"]], accept=["json"],
                        callbacks=[lambda body, message: taken.append(message)])
    consumer.consume()

    def reserve(count: int = 1) -> list:
        deadline = time.monotonic() + 10
        while len(taken) < count and time.monotonic() < deadline:
            try:
                connection.drain_events(timeout=0.5)
            except TimeoutError:
                pass
        assert len(taken) == count
        return taken

    yield reserve
    consumer.cancel()
    connection.release()  # a live worker's shutdown puts its reserved messages back


def test_a_message_waiting_in_the_queue_is_not_sent_again(broker, share, django_capture_on_commit_callbacks,
                                                          caplog):
    caplog.set_level(logging.INFO, logger="advocacy.services.sweeps")
    dispatch_id = _dispatch(share, django_capture_on_commit_callbacks)
    _make_stale(share)  # ... behind workers busy for longer than STALE_QUEUED

    assert _sweep(django_capture_on_commit_callbacks) == {"redispatched": 0, "stuck": 0}
    assert [m["headers"]["id"] for m in _queued_messages(broker)] == [dispatch_id]
    share.refresh_from_db()
    assert share.dispatch_id == dispatch_id and share.enqueued_at < timezone.now() - STALE_QUEUED
    assert "1 queued shares still have a message in the broker" in caplog.text


def test_a_message_without_a_recorded_id_is_found_by_its_share(broker, share, django_capture_on_commit_callbacks):
    """The share dialog and the task's own retries send messages whose id is not recorded."""
    with django_capture_on_commit_callbacks(execute=True):
        core.queueing.enqueue(POST_TASK, share.pk)
    _make_stale(share)
    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 0
    assert len(_queued_messages(broker)) == 1


def test_a_lost_message_is_sent_again_with_a_new_recorded_id(broker, share, django_capture_on_commit_callbacks):
    lost = _dispatch(share, django_capture_on_commit_callbacks)
    _make_stale(share)
    broker.delete("shares")  # Redis restarted empty, say

    assert _sweep(django_capture_on_commit_callbacks) == {"redispatched": 1, "stuck": 0}
    share.refresh_from_db()
    [message] = _queued_messages(broker)
    assert share.dispatch_id not in ("", lost)
    assert message["headers"]["id"] == share.dispatch_id and message["headers"]["argsrepr"] == f"({share.pk},)"
    # The next sweep finds it waiting, and leaves it alone.
    _make_stale(share)
    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 0


def test_other_shares_messages_do_not_count(broker, share, django_capture_on_commit_callbacks):
    other = make_share(share.user, share.account, share.item, key="other")
    _dispatch(other, django_capture_on_commit_callbacks)
    _make_stale(share)
    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 1
    assert sorted(json.loads(m["headers"]["argsrepr"].strip("(,)")) for m in _queued_messages(broker)) == sorted(
        [share.pk, other.pk])


def test_a_message_reserved_by_a_worker_is_not_sent_again(broker, share, worker, django_capture_on_commit_callbacks):
    dispatch_id = _dispatch(share, django_capture_on_commit_callbacks)
    [message] = worker()
    assert broker.llen("shares") == 0 and broker.hlen("unacked") == 1  # taken, not acknowledged
    _make_stale(share)

    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 0
    assert broker.llen("shares") == 0
    assert message.headers["id"] == dispatch_id


def test_a_reservation_held_for_its_countdown_counts_from_the_countdown(
        broker, share, worker, settings, django_capture_on_commit_callbacks):
    """A worker holds a message with a countdown until it is due: reserved long ago, due
    recently, it is not a dead worker's."""
    settings.SHARE_SWEEP_RESERVED_GRACE_SECONDS = 60
    _dispatch(share, django_capture_on_commit_callbacks, countdown=1)
    worker()
    [tag] = broker.hkeys("unacked")
    broker.zadd("unacked_index", {tag: time.time() - 3600})  # reserved an hour ago, due a second ago
    _make_stale(share)
    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 0


def test_a_reservation_older_than_the_grace_belongs_to_a_dead_worker(
        broker, share, worker, settings, django_capture_on_commit_callbacks):
    """Redis would give a dead worker's message back only after the visibility timeout (an
    hour): past the grace the share is sent again; the claim keeps it to one post if the
    old message comes back."""
    settings.SHARE_SWEEP_RESERVED_GRACE_SECONDS = 60
    old_id = _dispatch(share, django_capture_on_commit_callbacks)
    worker()
    [tag] = broker.hkeys("unacked")
    broker.zadd("unacked_index", {tag: time.time() - 120})
    _make_stale(share)

    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 1
    share.refresh_from_db()
    [message] = _queued_messages(broker)
    assert message["headers"]["id"] == share.dispatch_id != old_id


def test_a_queue_longer_than_the_scan_sends_nothing_again(broker, share, settings, django_capture_on_commit_callbacks,
                                                          caplog):
    """Over SHARE_SWEEP_MAX_SCAN messages: the workers are behind, and more would not help."""
    settings.SHARE_SWEEP_MAX_SCAN = 2
    for _ in range(3):
        other = make_share(share.user, share.account, share.item, key=f"o{_}")
        _dispatch(other, django_capture_on_commit_callbacks)
    _make_stale(share)
    assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 0
    assert broker.llen("shares") == 3
    assert "none is sent again" in caplog.text


def test_a_broker_that_cannot_be_read_falls_back_to_sending_again(share, settings, caplog,
                                                                  django_capture_on_commit_callbacks):
    """Down (nothing listens): every stale share is sent again, as before, and the sweep
    itself neither fails nor waits for the broker's connection retries."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    with celery_broker(settings.REDIS_URL):
        _make_stale(share)
        started = time.monotonic()
        assert _sweep(django_capture_on_commit_callbacks)["redispatched"] == 1
        assert time.monotonic() - started < 5
    assert "could not read the broker's shares queue" in caplog.text
    assert "could not enqueue advocacy.share_post" in caplog.text
    share.refresh_from_db()
    assert share.dispatch_id  # recorded: the next sweep looks for it
