"""The API throttle's leases (core.api.ClientThrottle): a process takes a few places of a
client's window in Redis at once and hands them out itself, so a busy client costs one
round trip per lease; every place is counted in Redis before it is used (never more than
the limit, across processes), and a lease's unused places are given back."""

from types import SimpleNamespace

import pytest
import redis
from django.conf import settings as django_settings

from core.api import ClientThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate(settings, redis_url):
    def set_rate(text: str):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client": text}}
    return set_rate


@pytest.fixture(autouse=True)
def _own_leases(monkeypatch):
    """This test's leases (a test switching "processes" swaps the dict; undone after)."""
    monkeypatch.setattr(ClientThrottle, "_leases", {})


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr("core.api.time.time", lambda: now[0])
    return now


def _request(token_id: int = 7):
    return SimpleNamespace(auth=SimpleNamespace(pk=token_id), user=None)


def _in_redis(token_id: int = 7) -> int:
    return redis.Redis.from_url(django_settings.REDIS_URL).zcard(f"throttle:api:token:{token_id}")


def _calls(monkeypatch) -> list:
    made = []
    real = __import__("core.api", fromlist=["sliding_window_lease"]).sliding_window_lease

    def counting(*args, **kwargs):
        made.append(kwargs["give_back"])
        return real(*args, **kwargs)
    monkeypatch.setattr("core.api.sliding_window_lease", counting)
    return made


def test_a_busy_client_costs_one_round_trip_per_lease(rate, clock, monkeypatch):
    rate("600/minute")  # a lease is 1 % of the limit: 6 places
    calls = _calls(monkeypatch)
    assert all(ClientThrottle().allow_request(_request(), None) for _ in range(6))
    assert len(calls) == 1 and _in_redis() == 6  # counted in Redis before they were used
    assert ClientThrottle().allow_request(_request(), None)
    assert len(calls) == 2 and _in_redis() == 12
    # Another client has its own window and its own lease.
    assert ClientThrottle().allow_request(_request(8), None)
    assert len(calls) == 3 and _in_redis(8) == 6


def test_two_processes_never_let_more_than_the_limit_through(rate, clock):
    rate("300/minute")  # leases of 3
    processes = [{}, {}]
    allowed = refused = 0
    for turn in range(400):
        ClientThrottle._leases = processes[turn % 2]
        throttle = ClientThrottle()
        if throttle.allow_request(_request(), None):
            allowed += 1
        else:
            refused += 1
            assert 1 <= throttle.wait() <= 60
        clock[0] += 0.01
    assert allowed == 300 and refused == 100 and _in_redis() == 300


def test_unused_places_are_given_back_with_the_next_lease(rate, clock):
    rate("500/minute")  # leases of 5
    assert ClientThrottle().allow_request(_request(), None)
    assert _in_redis() == 5  # one used, four leased
    clock[0] += ClientThrottle.LEASE_SECONDS + 0.1  # the lease ran out
    assert ClientThrottle().allow_request(_request(), None)
    assert _in_redis() == 1 + 5  # the four unused went back, a new lease of five


def test_a_full_window_refuses_until_a_place_is_given_back_or_slides_out(rate, clock):
    rate("200/minute")  # leases of 2
    first, second = {}, {}
    ClientThrottle._leases = first
    assert ClientThrottle().allow_request(_request(), None)  # one used, one leased unused
    ClientThrottle._leases = second
    allowed = 0
    while ClientThrottle().allow_request(_request(), None):
        allowed += 1
        clock[0] += 0.001
    assert allowed == 198 and _in_redis() == 200  # the first process's unused place counts
    throttle = ClientThrottle()
    assert not throttle.allow_request(_request(), None) and 1 <= throttle.wait() <= 60
    clock[0] += ClientThrottle.LEASE_SECONDS  # the first process's lease runs out
    ClientThrottle._leases = first
    assert ClientThrottle().allow_request(_request(), None)  # it gave its place back and took it
    assert _in_redis() == 200
    assert not ClientThrottle().allow_request(_request(), None)
    clock[0] += 61  # the window slid past every place
    assert ClientThrottle().allow_request(_request(), None)


def test_small_limits_lease_one_place_at_a_time(rate, clock, monkeypatch):
    rate("3/minute")
    calls = _calls(monkeypatch)
    assert [ClientThrottle().allow_request(_request(), None) for _ in range(4)] == [True, True, True, False]
    assert len(calls) == 4 and _in_redis() == 3
