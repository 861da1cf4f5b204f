"""Counters shared by every process, in Redis: exact, cheap, and never in the way."""

import time

import pytest
import redis
import requests

import core.observability.counters as counters
from core.observability.counters import (
    counter_add,
    counters_parse,
    histogram_observe,
    histogram_parse,
    metrics_redis,
    provider_error_kind,
)
from networks.errors import AmbiguousPostError, AuthError, RejectedError, TransientError
from networks.linkedin_errors import linkedin_error
from networks.types import NetworkConfig
from networks.wire import transport_error, utcnow
from networks.x_errors import x_error
from tests.conftest import free_port


@pytest.fixture(autouse=True)
def _fresh():
    counters._down_until = 0.0
    yield
    counters._down_until = 0.0


def _read(name: str, prefix: str = counters.COUNTER_PREFIX) -> dict:
    return metrics_redis().hgetall(prefix + name)


def test_counters_add_up_by_labels(redis_url):
    for _ in range(3):
        assert counter_add("things", {"network": "x", "kind": "auth"})
    counter_add("things", {"kind": "auth", "network": "linkedin"}, 2)
    parsed = sorted(counters_parse(_read("things")), key=lambda item: item[0]["network"])
    assert parsed == [({"kind": "auth", "network": "linkedin"}, 2.0), ({"kind": "auth", "network": "x"}, 3.0)]


def test_histogram_buckets_are_cumulative_with_count_and_sum(redis_url):
    for seconds in (0.4, 3.0, 3.0, 9000.0):
        histogram_observe("latency", {"network": "x"}, seconds, (1.0, 5.0, 60.0))
    [series] = histogram_parse(_read("latency", counters.HIST_PREFIX), (1.0, 5.0, 60.0))
    assert series.labels == {"network": "x"}
    assert series.buckets == [("1.0", 1.0), ("5.0", 3.0), ("60.0", 3.0), ("+Inf", 4.0)]
    assert series.count == 4 and series.sum == pytest.approx(9006.4)


def test_a_dead_redis_costs_one_short_wait_then_nothing(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    assert counter_add("things", {"network": "x"}) is False
    assert counter_add("things", {"network": "x"}) is False  # backing off: Redis not even asked
    assert time.monotonic() - started < 2
    assert counters._down_until > time.monotonic()


def test_a_hung_redis_waits_at_most_the_timeout(settings):
    import socket

    with socket.socket() as listener:  # accepts connections, never answers: a SIGSTOPped Redis
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        settings.REDIS_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        settings.METRICS_REDIS_TIMEOUT = 0.2
        started = time.monotonic()
        assert counter_add("hung", {"network": "x"}) is False
        assert time.monotonic() - started < 1.5


def _response(status: int, body: str = "{}", **headers) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers.update({"Content-Type": "application/json", **headers})
    return response


def test_the_networks_error_mappers_count_what_they_return(redis_url):
    assert isinstance(linkedin_error(_response(503), []), TransientError)
    assert isinstance(linkedin_error(_response(401), []), AuthError)
    assert isinstance(x_error(_response(429), []), TransientError)
    assert isinstance(x_error(_response(403, '{"detail": "You are not permitted"}'), []), RejectedError)
    config = NetworkConfig.from_settings("x")
    ambiguous = transport_error(requests.ReadTimeout("read timed out"), config=config, ambiguous=True, sent_at=utcnow())
    assert isinstance(ambiguous, AmbiguousPostError)
    counts = {(labels["network"], labels["kind"]): value for labels, value in counters_parse(_read("provider_errors"))}
    assert counts == {("linkedin", "transient"): 1, ("linkedin", "auth"): 1, ("x", "rate_limited"): 1,
                      ("x", "rejected"): 1, ("x", "ambiguous"): 1}


def test_error_kinds_are_a_small_fixed_set():
    assert provider_error_kind(TransientError("busy", status=429)) == "rate_limited"
    assert provider_error_kind(TransientError("down", status=503)) == "transient"
    assert provider_error_kind(ValueError("?")) == "other"


def test_labels_cannot_smuggle_separators(redis_url):
    counter_add("things", {"network": "x|kind=auth", "kind": "a=b"})
    [(labels, value)] = counters_parse(_read("things"))
    assert labels == {"kind": "a_b", "network": "x_kind_auth"} and value == 1
    assert isinstance(metrics_redis(), redis.Redis)
