"""Redis from inside a web request (issue 16, item 1): one short timeout, then the process
skips Redis for a while, and each caller fails open in its own way.

Redis is a real redis-server of the test's own, frozen with SIGSTOP (the kernel accepts the
connection, the server never answers): the case the 2 s worker timeout was paid for on
every API request. The session's shared server is never frozen."""

import logging
import signal
import time

import pytest
import redis
from django.test import Client

import core.redis
from accounts.services.throttle import password_reset_allow
from core.redis import RedisSkipped, get_redis, web_redis, web_redis_down
from identity.scim.auth import ScimDenied, _throttle
from identity.scim.tokens import scim_token_create
from tests.conftest import RedisServer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHORT = 0.2


@pytest.fixture
def own_redis(settings):
    server = RedisServer()
    server.start()
    settings.REDIS_URL = server.url
    settings.REDIS_WEB_TIMEOUT = SHORT
    settings.REDIS_WEB_BACKOFF_SECONDS = 30.0
    core.redis.web_redis_reset()
    yield server
    server.proc.send_signal(signal.SIGCONT)
    core.redis.web_redis_reset()
    server.stop()


def _ping() -> float:
    started = time.monotonic()
    with web_redis() as client:
        client.ping()
    return time.monotonic() - started


def _timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_hung_redis_costs_one_short_timeout_then_is_skipped(own_redis, settings, caplog):
    assert _ping() < 1
    own_redis.proc.send_signal(signal.SIGSTOP)

    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        _ping()
    first = time.monotonic() - started
    started = time.monotonic()
    with pytest.raises(RedisSkipped):
        _ping()
    second = time.monotonic() - started

    assert SHORT * 0.9 <= first < 1.0, first  # one short timeout, not get_redis()'s 2 s
    assert second < 0.05, second  # not asked at all
    assert web_redis_down()
    assert caplog.text.count("skipping it for 30 s") == 1

    # Back, and the backoff over: asked again.
    own_redis.proc.send_signal(signal.SIGCONT)
    settings.REDIS_WEB_BACKOFF_SECONDS = 0.2
    core.redis.web_redis_failed(redis.TimeoutError("again"))
    time.sleep(0.3)
    assert not web_redis_down()
    assert _ping() < 1


def test_the_circuit_is_per_redis(own_redis, settings):
    own_redis.proc.send_signal(signal.SIGSTOP)
    with pytest.raises(redis.TimeoutError):
        _ping()
    other = RedisServer()
    other.start()
    try:
        settings.REDIS_URL = other.url
        assert not web_redis_down() and _ping() < 1
    finally:
        other.stop()


def test_a_command_error_is_not_an_outage(own_redis):
    get_redis().set("text", "x")
    with pytest.raises(redis.ResponseError), web_redis() as client:
        client.lpush("text", "y")  # WRONGTYPE: Redis answered
    assert not web_redis_down()


def test_the_api_throttle_works_and_fails_open_at_once(own_redis, settings, caplog):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client": "2/minute"}}
    web = Client()
    web.force_login(UserFactory())
    assert [web.get("/api/v1/feed/").status_code for _ in range(3)] == [200, 200, 429]

    own_redis.proc.send_signal(signal.SIGSTOP)
    first, first_seconds = _timed(lambda: web.get("/api/v1/feed/"))
    later, later_seconds = _timed(lambda: web.get("/api/v1/feed/"))
    # The limit fails open: an outage of the limiter must not take the API down, nor slow it.
    assert first.status_code == later.status_code == 200
    assert first_seconds < 1.0 and later_seconds < 0.5, (first_seconds, later_seconds)
    # One line for the outage, not one per request.
    assert caplog.text.count("API throttle skipped (Redis unavailable): TimeoutError") == 1
    assert "RedisSkipped" not in caplog.text


def test_the_password_reset_limit_fails_open_at_once(own_redis, caplog):
    own_redis.proc.send_signal(signal.SIGSTOP)
    allowed, seconds = _timed(lambda: password_reset_allow(email="ann@example.com", client="192.0.2.1"))
    assert allowed and seconds < 1.0
    assert "Redis unavailable" in caplog.text


def test_the_scim_throttle_fails_open_at_once(own_redis, settings, caplog):
    caplog.set_level(logging.ERROR)
    settings.SCIM_THROTTLE_PER_MINUTE = 1
    token = scim_token_create(name="Okta").token
    _throttle(token)
    with pytest.raises(ScimDenied):
        _throttle(token)  # the limit holds while Redis answers
    own_redis.proc.send_signal(signal.SIGSTOP)
    _, seconds = _timed(lambda: _throttle(token))
    assert seconds < 1.0
    assert "SCIM throttle skipped (Redis unavailable)" in caplog.text
