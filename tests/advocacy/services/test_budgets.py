"""The Redis mechanics of posting budgets, on the real embedded Redis. Which budgets a
network has is its adapter's business (tests/networks/test_policy.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from advocacy.services.budgets import budget_release, budget_reserve
from core.redis import get_redis
from networks import PostBudget
from networks.linkedin import LinkedInAdapter
from networks.x import XAdapter
from tests.networks.conftest import linkedin_config, x_config

NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC).timestamp()


def sliding(key: str, limit: int, *, per_account: bool = False, minutes: int = 15) -> PostBudget:
    return PostBudget(key=key, limit=limit, reason=f"{key} is full", window=timedelta(minutes=minutes),
                      per_account=per_account)


def test_x_keys_and_windows_are_the_ones_chorus_always_used(redis_url):
    budgets = XAdapter(x_config(user_posts_per_15_min=1)).post_budgets
    assert budget_reserve(budgets=budgets, account_id=7, now=NOON).ok
    client = get_redis()
    assert client.zcard("budget:x:user:7") == 1 and client.zcard("budget:x:app") == 1
    assert 900 < client.ttl("budget:x:user:7") <= 960 and client.ttl("budget:x:app") > 86_400

    full = budget_reserve(budgets=budgets, account_id=7, now=NOON + 60)
    assert not full.ok and full.reason == "X allows 1 posts per 15 minutes per person"
    assert full.retry_after == pytest.approx(900 - 60)
    assert client.zcard("budget:x:app") == 1  # the app window was not touched
    assert budget_reserve(budgets=budgets, account_id=8, now=NOON + 60).ok  # another person
    assert budget_reserve(budgets=budgets, account_id=7, now=NOON + 901).ok  # the window slid on


def test_a_full_later_budget_gives_back_the_earlier_ones(redis_url):
    budgets = (sliding("t:user", 5, per_account=True), sliding("t:app", 1))
    assert budget_reserve(budgets=budgets, account_id=1, now=NOON).ok
    refused = budget_reserve(budgets=budgets, account_id=2, now=NOON)
    assert not refused.ok and refused.reason == "t:app is full"
    assert get_redis().zcard("budget:t:user:2") == 0


def test_a_wait_is_never_shorter_than_a_second(redis_url):
    budgets = (sliding("t:user", 1, minutes=1),)
    assert budget_reserve(budgets=budgets, account_id=1, now=NOON).ok
    assert budget_reserve(budgets=budgets, account_id=1, now=NOON + 59.9).retry_after == 1.0


def test_linkedin_counts_a_utc_day_per_member_and_waits_until_midnight(redis_url):
    budgets = LinkedInAdapter(linkedin_config(member_daily_posts=1)).post_budgets
    assert budget_reserve(budgets=budgets, account_id=3, now=NOON).ok
    client = get_redis()
    assert int(client.get("budget:linkedin:member:3:20260314")) == 1
    full = budget_reserve(budgets=budgets, account_id=3, now=NOON)
    assert not full.ok and full.retry_after == 12 * 3600
    assert full.reason == "LinkedIn allows 1 posts per person per day"
    assert int(client.get("budget:linkedin:member:3:20260314")) == 1  # the refused post is not counted
    assert budget_reserve(budgets=budgets, account_id=3, now=NOON + 12 * 3600).ok  # a new UTC day


def test_release_gives_back_every_budget(redis_url):
    budgets = (*XAdapter(x_config()).post_budgets, *LinkedInAdapter(linkedin_config()).post_budgets)
    reservation = budget_reserve(budgets=budgets, account_id=5, now=NOON)
    assert reservation.ok and len(reservation.keys) == 3
    budget_release(reservation)
    client = get_redis()
    assert client.zcard("budget:x:user:5") == 0 and client.zcard("budget:x:app") == 0
    assert int(client.get("budget:linkedin:member:5:20260314")) == 0


def test_no_budgets_means_no_wait(redis_url):
    assert budget_reserve(budgets=(), account_id=1) == budget_reserve(budgets=[], account_id=2)


def test_redis_down_fails_open(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    reservation = budget_reserve(budgets=XAdapter(x_config(user_posts_per_15_min=0)).post_budgets, account_id=1)
    assert reservation.ok and reservation.keys == ()
    budget_release(reservation)  # nothing to give back, and no error
