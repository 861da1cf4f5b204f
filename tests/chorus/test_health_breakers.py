"""/healthz reports each network's circuit breaker, as information: an open one is no outage."""

import pytest

from advocacy.heartbeat import heartbeat_record
from advocacy.services.breaker import breaker_failure
from advocacy.tasks import heartbeat
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


def test_an_open_breaker_shows_and_healthz_stays_200(client, redis_url, settings):
    heartbeat_record("beat")
    heartbeat.delay()
    body = client.get("/healthz").json()
    assert body["breakers"] == {"linkedin": {"state": "closed", "waiting": False},
                                "x": {"state": "closed", "waiting": False}}

    for _ in range(settings.SHARE_BREAKER_THRESHOLD):
        breaker_failure("x")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and body["down"] == []
    assert body["breakers"]["x"] == {"state": "open", "waiting": True, "failures": settings.SHARE_BREAKER_THRESHOLD}
    assert body["breakers"]["linkedin"]["state"] == "closed"


def test_with_redis_down_breakers_are_unknown_and_only_the_broker_is_blamed(client, settings):
    heartbeat_record("beat")
    heartbeat.delay()
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["down"] == ["broker"]
    assert body["breakers"] == {"linkedin": {"state": "unknown"}, "x": {"state": "unknown"}}
