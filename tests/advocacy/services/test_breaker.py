"""The per-network circuit breaker against the real embedded Redis, with explicit times."""

import pytest

from advocacy.services.breaker import (
    Gate,
    breaker_allow,
    breaker_failure,
    breaker_release_probe,
    breaker_state,
    breaker_success,
)

T0 = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _breaker_settings(settings, redis_url):
    settings.SHARE_BREAKER_THRESHOLD = 3
    settings.SHARE_BREAKER_COOLDOWN_SECONDS = 30.0
    settings.SHARE_BREAKER_MAX_COOLDOWN_SECONDS = 100.0
    settings.SHARE_BREAKER_DRAIN_SPACING_SECONDS = 2.0
    settings.SHARE_BREAKER_PROBE_LEASE_SECONDS = 60.0


def test_closed_until_the_threshold_of_consecutive_failures():
    assert breaker_allow("x", now=T0) == Gate(True)
    assert [breaker_failure("x", now=T0) for _ in range(2)] == ["closed", "closed"]
    breaker_success("x")  # an answer in between: the count starts again
    assert [breaker_failure("x", now=T0) for _ in range(2)] == ["closed", "closed"]
    assert breaker_allow("x", now=T0) == Gate(True)
    assert breaker_failure("x", now=T0) == "open"
    assert breaker_state("x", now=T0) == {
        "state": "open", "waiting": True, "failures": 3.0, "open_until": T0 + 30, "cooldown": 30.0, "opened": 1.0,
    }


def test_networks_have_their_own_breakers():
    for _ in range(3):
        breaker_failure("linkedin", now=T0)
    assert not breaker_allow("linkedin", now=T0).allowed
    assert breaker_allow("x", now=T0) == Gate(True)


def test_open_holds_everyone_with_spaced_release_times():
    for _ in range(3):
        breaker_failure("x", now=T0)
    gates = [breaker_allow("x", now=T0 + 10) for _ in range(3)]
    assert gates == [Gate(False, retry_in=20.0), Gate(False, retry_in=22.0), Gate(False, retry_in=24.0)]


def test_half_open_lets_exactly_one_probe_through():
    for _ in range(3):
        breaker_failure("x", now=T0)
    assert breaker_allow("x", now=T0 + 30) == Gate(True, probe=True)
    # While the probe is out, the others wait (a cool-down, or their drain slot).
    assert breaker_allow("x", now=T0 + 31) == Gate(False, retry_in=30.0)
    assert breaker_state("x", now=T0 + 31)["state"] == "half_open"


def test_probe_success_closes():
    for _ in range(3):
        breaker_failure("x", now=T0)
    assert breaker_allow("x", now=T0 + 30).probe
    breaker_success("x")
    assert breaker_state("x") == {"state": "closed", "waiting": False}
    assert breaker_allow("x", now=T0 + 31) == Gate(True)


def test_probe_failure_reopens_with_a_doubled_cooldown_up_to_the_maximum():
    for _ in range(3):
        breaker_failure("x", now=T0)
    now, cooldowns = T0 + 30, []
    for _ in range(4):
        assert breaker_allow("x", now=now).probe
        assert breaker_failure("x", probe=True, now=now) == "open"
        cooldown = breaker_state("x", now=now)["cooldown"]
        cooldowns.append(cooldown)
        assert breaker_allow("x", now=now).retry_in == cooldown
        now += cooldown
    assert cooldowns == [60.0, 100.0, 100.0, 100.0]


def test_a_failure_that_is_not_the_probe_does_not_reopen_a_half_open_breaker():
    for _ in range(3):
        breaker_failure("x", now=T0)
    assert breaker_allow("x", now=T0 + 30).probe
    assert breaker_failure("x", now=T0 + 31) == "half_open"  # a share that was already in flight


def test_a_silent_probe_loses_its_lease_and_a_released_probe_frees_it_at_once():
    for _ in range(3):
        breaker_failure("x", now=T0)
    assert breaker_allow("x", now=T0 + 30).probe
    assert not breaker_allow("x", now=T0 + 89).allowed
    assert breaker_allow("x", now=T0 + 90) == Gate(True, probe=True)  # the lease (60 s) ran out
    breaker_release_probe("x")
    assert breaker_allow("x", now=T0 + 91) == Gate(True, probe=True)


def test_redis_down_fails_open(settings):
    from core.redis import _client

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    _client.cache_clear()
    try:
        for _ in range(5):
            assert breaker_failure("x", now=T0) == "closed"
        assert breaker_allow("x", now=T0) == Gate(True)
        breaker_success("x")
        breaker_release_probe("x")
        assert breaker_state("x") == {"state": "closed", "waiting": False}
    finally:
        _client.cache_clear()
