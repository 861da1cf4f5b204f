"""The one backoff rule (``core.retry.backoff``): growth, cap, Retry-After, jitter."""

import random

import pytest

from core.retry import backoff

DRAWS = 2000


@pytest.fixture(autouse=True)
def seeded():
    """Seeded, so a failure repeats; the global generator is left as it was found."""
    state = random.getstate()
    random.seed(20260301)
    yield
    random.setstate(state)


def draws(attempt: int, **kwargs) -> list[float]:
    return [backoff(attempt, **kwargs) for _ in range(DRAWS)]


@pytest.mark.parametrize("full_jitter", [True, False])
def test_the_wait_doubles_with_each_attempt(full_jitter):
    highest = [max(draws(n, base=30, cap=10**6, full_jitter=full_jitter)) for n in (1, 2, 3, 4, 5)]
    for earlier, later in zip(highest, highest[1:], strict=False):
        assert later == pytest.approx(2 * earlier, rel=0.02)


def test_added_jitter_keeps_the_exponential_schedule_as_the_floor():
    assert [round(min(draws(n, base=300, cap=6 * 3600, full_jitter=False))) for n in (1, 2, 3, 4)] == [
        300, 600, 1200, 2400,
    ]


def test_the_first_attempt_waits_about_the_base_and_attempt_zero_counts_as_one():
    assert 15 <= min(draws(1, base=30, cap=3600)) and max(draws(1, base=30, cap=3600)) <= 30
    assert max(draws(0, base=30, cap=3600)) <= 30


@pytest.mark.parametrize("full_jitter", [True, False])
def test_the_wait_never_exceeds_the_cap(full_jitter):
    waits = draws(12, base=300, cap=6 * 3600, full_jitter=full_jitter)
    assert max(waits) <= 6 * 3600
    assert max(waits) >= 0.99 * 6 * 3600  # the cap is reached, not some lower ceiling


def test_a_cap_below_the_base_still_bounds_the_wait():
    assert max(draws(1, base=100, cap=10)) <= 10
    assert max(draws(3, base=100, cap=10, full_jitter=False)) <= 10


@pytest.mark.parametrize("full_jitter", [True, False])
def test_retry_after_is_honoured_even_beyond_the_cap(full_jitter):
    waits = draws(1, base=30, cap=3600, retry_after=86_400, full_jitter=full_jitter)
    assert set(waits) == {86_400}


@pytest.mark.parametrize("full_jitter", [True, False])
def test_retry_after_is_a_floor_not_a_replacement(full_jitter):
    waits = draws(4, base=30, cap=3600, retry_after=100, full_jitter=full_jitter)
    assert min(waits) >= 100
    assert max(waits) > 200  # the exponential (up to 240 s) still applies above the floor


@pytest.mark.parametrize("retry_after", [None, 0, -5])
def test_a_missing_or_meaningless_retry_after_is_ignored(retry_after):
    assert max(draws(1, base=30, cap=3600, retry_after=retry_after)) <= 30


def test_full_jitter_spreads_between_half_the_base_and_the_exponential():
    waits = draws(4, base=10, cap=3600)  # exponential: 80 s
    assert 5 <= min(waits) and max(waits) <= 80
    assert min(waits) < 10 and max(waits) > 75  # spread over the whole range, not bunched
    assert len(set(waits)) > DRAWS * 0.9


def test_added_jitter_is_at_most_a_fifth_on_top():
    waits = draws(3, base=10, cap=3600, full_jitter=False)  # exponential: 40 s
    assert 40 <= min(waits) < 41 and 47 < max(waits) <= 48
    assert len(set(waits)) > DRAWS * 0.9
