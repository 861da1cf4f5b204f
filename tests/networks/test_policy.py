"""Per-network policy lives on the adapters: names, prices, budgets and how an ambiguous
post is reconciled. Callers ask the adapter instead of testing the network's name."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from networks import NETWORKS, NetworkConfig, PostBudget, PostRequest, display_name, get_adapter
from networks.linkedin import LinkedInAdapter
from networks.x import XAdapter

from .conftest import linkedin_config, x_config


def test_display_names_are_written_once_on_the_adapters():
    assert {n: display_name(n) for n in NETWORKS} == {"linkedin": "LinkedIn", "x": "X"}
    assert display_name("x") == XAdapter.display_name and display_name("linkedin") == LinkedInAdapter.display_name
    assert display_name("mastodon") == "mastodon"  # unknown: the key itself, never an error
    # Code that only has a config (transport and OAuth errors) says the same name.
    assert x_config().display_name == "X" and linkedin_config().display_name == "LinkedIn"
    assert XAdapter(x_config()).display_name == "X"


def test_content_network_choices_use_the_adapters_names():
    from content.models import Network

    assert dict(Network.choices) == {n: display_name(n) for n in NETWORKS}


@pytest.mark.parametrize(
    ("text", "link_url", "with_url"),
    [
        ("plain words", None, False),
        ("see https://example.com/x", None, True),  # the employee's own URL, no item link
        ("SEE HTTP://EXAMPLE.COM", None, True),
        ("(https://example.com/a_(b))", None, True),
        ("read www.example.com today", None, True),
        ("text", "https://example.com/item", True),  # the item's (tracked) link
        ("Worth a read\nhttp://127.0.0.1:8000/r/AbC123", None, False),  # X does not link IP hosts
        ("more at example.com today", None, True),  # a bare domain is a link on X
        ("awww.yes, and e.g. Node.js", None, False),
        ("mail me at someone@example.com", None, False),
    ],
)
def test_x_prices_a_post_by_any_url_in_its_text(text, link_url, with_url):
    """As X counts URLs (twitter-text's grammar), not as a regular expression guesses."""
    x = XAdapter(x_config())
    expected = Decimal("0.20") if with_url else Decimal("0.015")
    assert x.cost_of(PostRequest(author_id="1", text=text, link_url=link_url)) == expected


def test_linkedin_posts_are_free():
    linkedin = LinkedInAdapter(linkedin_config())
    assert linkedin.cost_of(PostRequest(author_id="1", text="see https://example.com/x")) == Decimal("0")


def test_reconciliation_policy():
    # X can list the account's recent posts: look before posting again.
    assert XAdapter.can_find_posts is True and XAdapter.duplicate_window is None
    # LinkedIn cannot: re-post only while its ~10-minute duplicate check still answers.
    assert LinkedInAdapter.can_find_posts is False
    assert LinkedInAdapter.duplicate_window == timedelta(minutes=9)
    # Only LinkedIn needs our thumbnail for its link card.
    assert LinkedInAdapter.sends_thumbnail and not XAdapter.sends_thumbnail


def test_x_budgets_come_from_the_config():
    budgets = XAdapter(x_config(user_posts_per_15_min=7, app_posts_per_24_h=12_000)).post_budgets
    assert budgets == (
        PostBudget(key="x:user", limit=7, reason="X allows 7 posts per 15 minutes per person",
                   window=timedelta(minutes=15), per_account=True),
        PostBudget(key="x:app", limit=12_000, reason="X allows this app 12,000 posts per day",
                   window=timedelta(hours=24), per_account=False),
    )


def test_linkedin_budget_is_a_utc_day_per_member():
    [budget] = LinkedInAdapter(linkedin_config(member_daily_posts=3)).post_budgets
    assert budget == PostBudget(key="linkedin:member", limit=3, reason="LinkedIn allows 3 posts per person per day",
                                window=None, per_account=True)


def test_budget_numbers_are_read_from_settings():
    with override_settings(X_USER_POSTS_PER_15_MIN=2, X_APP_POSTS_PER_24_H=50, LINKEDIN_MEMBER_DAILY_POSTS=4):
        x, linkedin = NetworkConfig.from_settings("x"), NetworkConfig.from_settings("linkedin")
        assert [b.limit for b in get_adapter("x").post_budgets] == [2, 50]
    assert (x.user_posts_per_15_min, x.app_posts_per_24_h, linkedin.member_daily_posts) == (2, 50, 4)
