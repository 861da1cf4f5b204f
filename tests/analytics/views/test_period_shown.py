"""The analytics period control shows the period the page really displays."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from analytics.periods import utc_day
from tests.factories import CampaignFactory, curator

pytestmark = pytest.mark.django_db
URL = "/analytics/"


def page(client, **query):
    client.force_login(curator())
    response = client.get(URL, query)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def chosen_period(html) -> str:
    option = html.select_one("select[name=period] option[selected]")
    return option.get_text() if option else "Custom dates"


def shown(html) -> str:
    return html.select_one("[data-period-shown]").get_text()


def test_the_default_period_is_named_in_the_control_and_the_heading(client):
    today = utc_day(timezone.now())
    html = page(client)
    assert chosen_period(html) == "Last 28 days"
    start = today - timedelta(days=27)
    assert shown(html) == f"Last 28 days: {start:%d %b %Y} – {today:%d %b %Y}"


def test_other_filters_alone_keep_the_default_period_named(client):
    campaign = CampaignFactory()
    html = page(client, campaign=campaign.pk)
    assert chosen_period(html) == "Last 28 days" and shown(html).startswith("Last 28 days: ")


def test_a_chosen_quick_period_is_named(client):
    html = page(client, period="month")
    assert chosen_period(html) == "This month" and shown(html).startswith("This month: ")


def test_custom_dates_are_shown_as_dates(client):
    today = utc_day(timezone.now())
    start = today - timedelta(days=10)
    html = page(client, start=start.isoformat(), end=today.isoformat())
    assert chosen_period(html) == "Custom dates"
    assert shown(html) == f"{start:%d %b %Y} – {today:%d %b %Y}"


def test_a_default_that_is_no_quick_period_fills_in_its_dates(client, settings):
    settings.ANALYTICS_DEFAULT_DAYS = 400  # longer than every quick period
    today = utc_day(timezone.now())
    html = page(client)
    assert chosen_period(html) == "Custom dates"
    assert html.select_one("input[name=start]")["value"] == (today - timedelta(days=399)).isoformat()
    assert html.select_one("input[name=end]")["value"] == today.isoformat()
