from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.heartbeat import heartbeat_record
from advocacy.tasks import heartbeat
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


def fresh_heartbeats():
    heartbeat_record("beat")
    heartbeat.delay()  # runs the real task (eager in tests): the worker stamp


def test_healthy_with_real_redis_and_fresh_heartbeats(client, redis_url):
    fresh_heartbeats()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["down"] == []
    assert body["checks"]["broker"]["ok"] and body["checks"]["database"]["ok"]
    assert 0 <= body["checks"]["worker"]["age_seconds"] < 5


def test_503_naming_redis_when_it_is_down(client, redis_server, settings):
    fresh_heartbeats()
    settings.REDIS_URL = redis_server.url
    redis_server.stop()
    try:
        response = client.get("/healthz")
    finally:
        redis_server.start()
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def test_503_when_nothing_listens(client, settings):
    fresh_heartbeats()
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503 and "broker" in response.json()["down"]


def test_503_naming_a_stale_worker_and_a_beat_that_never_ran(client, redis_url, settings):
    heartbeat_record("worker", at=timezone.now() - timedelta(seconds=settings.HEARTBEAT_MAX_AGE_SECONDS + 5))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["worker", "beat"]
    assert body["checks"]["beat"]["age_seconds"] is None


def test_publishing_the_heartbeat_task_stamps_beat():
    from celery.signals import before_task_publish

    from advocacy.heartbeat import HEARTBEAT_TASK
    from advocacy.models import Heartbeat

    # Celery sends this signal as it publishes a task; the advocacy app listens for it.
    before_task_publish.send(sender=HEARTBEAT_TASK, body={}, exchange="", routing_key="", headers={})
    before_task_publish.send(sender="something.else", body={}, exchange="", routing_key="", headers={})
    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["beat"]


class _BeatService:
    """What Celery's beat passes with beat_init: its service, whose app sends tasks."""

    def __init__(self, broker_up: bool) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.app = self
        self.broker_up = broker_up

    def send_task(self, name, **options):
        if not self.broker_up:
            raise ConnectionRefusedError("broker still starting")
        self.sent.append((name, options))


def test_healthz_is_healthy_as_soon_as_worker_and_beat_are_up(client, redis_url):
    """No 30-second wait for the first scheduled heartbeat: beat stamps itself and sends the
    heartbeat task when it starts, a worker stamps itself when it is ready."""
    from celery.signals import beat_init, worker_ready

    assert client.get("/healthz").status_code == 503  # nothing has started yet
    service = _BeatService(broker_up=True)
    beat_init.send(sender=service)
    assert service.sent == [("advocacy.heartbeat", {"queue": "default", "expires": 60})]
    worker_ready.send(sender=object())
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()


def test_beat_starting_before_the_broker_still_stamps_itself(caplog):
    from celery.signals import beat_init

    from advocacy.models import Heartbeat

    beat_init.send(sender=_BeatService(broker_up=False))
    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["beat"]
    assert "first heartbeat not sent" in caplog.text
