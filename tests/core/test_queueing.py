"""A hung broker does not hold up a web request (issue 16): a publish waits at most
BROKER_PUBLISH_TIMEOUT per attempt, and after a failure the process stops trying for
BROKER_BACKOFF_SECONDS (the sweeps dispatch what was recorded).

The broker is a real redis-server, frozen with SIGSTOP: it accepts connections (the
kernel does) but never answers — the case that used to cost each request the 5 s socket
timeout."""

import logging
import signal
import time

import pytest
import redis

import core.queueing
from advocacy.models import Share
from tests.conftest import RedisServer
from tests.factories import SocialAccountFactory, UserFactory, published_item
from tests.support import celery_broker

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    server = RedisServer()
    server.start()
    try:
        with celery_broker(server.url):
            yield server
            if server.proc is not None:
                server.proc.send_signal(signal.SIGCONT)
    finally:
        server.stop()


def _share(client, item, key: str, capture):
    """POST a share and run its after-commit publish (the test's transaction never
    commits, so the capture runs it), timing both as one request."""
    started = time.monotonic()
    with capture(execute=True):
        response = client.post(f"/share/{item.pk}/", {"networks": ["linkedin"], "idempotency_key": key,
                                                      "when": "now", "text_linkedin": "Hello"})
    return response, time.monotonic() - started


def test_a_hung_broker_costs_a_share_request_a_fraction_of_a_second(
        broker, client, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="core.queueing")
    user = UserFactory()
    SocialAccountFactory(user=user, network="linkedin")
    items = [published_item(title=f"Item {n}") for n in range(3)]
    client.force_login(user)
    capture = django_capture_on_commit_callbacks
    response, healthy_seconds = _share(client, items[0], "k0", capture)
    assert response.status_code == 302
    assert redis.Redis.from_url(broker.url).llen("shares") == 1  # a healthy broker got the message

    broker.proc.send_signal(signal.SIGSTOP)
    hung, hung_seconds = _share(client, items[1], "k1", capture)
    after, after_seconds = _share(client, items[2], "k2", capture)

    assert hung.status_code == after.status_code == 302
    # Two attempts of at most 0.2 s each; the consumers' 5 s socket timeout is far above.
    # (Generous bound: a loaded 2-core machine adds its own delays.)
    timings = f"healthy {healthy_seconds:.3f} s; hung broker {hung_seconds:.3f} s, then {after_seconds:.3f} s"
    assert hung_seconds < 2.5, timings
    assert caplog.text.count("could not enqueue advocacy.share_post") == 1
    # The next request does not try at all while the backoff lasts.
    assert "advocacy.share_post not enqueued now" in caplog.text
    assert after_seconds < hung_seconds, timings
    # Both shares are recorded for the sweep.
    assert set(Share.objects.values_list("status", flat=True)) == {"queued"}
    assert Share.objects.filter(enqueued_at__isnull=False).count() == 3


def test_other_errors_do_not_start_the_backoff(client, django_capture_on_commit_callbacks, monkeypatch):
    """A task that raises when run inline (eager) is not a broker outage."""

    def broken(*args, **kwargs):
        raise ValueError("not the broker")

    task = core.queueing.task_named("advocacy.share_post")
    monkeypatch.setattr(task, "apply_async", broken)
    with django_capture_on_commit_callbacks(execute=True):
        core.queueing.enqueue("advocacy.share_post", 1)
    assert core.queueing._broker_down_until == 0.0
