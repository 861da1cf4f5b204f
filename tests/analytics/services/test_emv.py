"""Earned media value with versioned rates: each day is valued with its own version."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from analytics.models import DailyTotals, EmvRate, TeamDay
from analytics.periods import DateRange, utc_day
from analytics.selectors.dashboard import Filters, kpis
from analytics.services.emv import emv_rate_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def eur_rates():
    """Two LinkedIn versions in EUR: 2 per click before March, 3 per click from 1 March."""
    EmvRate.objects.create(network="linkedin", currency="EUR", effective_from=date(2026, 1, 1), cpc=Decimal("2"),
                           cpm=Decimal("10"), reaction_multiplier=Decimal("0.5"))
    EmvRate.objects.create(network="linkedin", currency="EUR", effective_from=date(2026, 3, 1), cpc=Decimal("3"),
                           cpm=Decimal("20"), reaction_multiplier=Decimal("0"))


def day_totals(day, **counts):
    """A day's sums as the rollup stores them: in DailyTotals and, campaign summed away, in
    TeamDay (what the tiles read when no campaign is chosen)."""
    network = counts.pop("network", "linkedin")
    TeamDay.objects.create(day=day, network=network, **counts)
    return DailyTotals.objects.create(day=day, network=network, **counts)


def emv(start, end, currency="EUR"):
    return kpis(Filters(period=DateRange(start, end), currency=currency)).emv


def test_each_period_is_valued_with_the_version_in_force_then(eur_rates):
    day_totals(date(2026, 2, 27), clicks=10, impressions=2000, reactions=4)
    day_totals(date(2026, 3, 2), clicks=10, impressions=2000, reactions=4)
    february = emv(date(2026, 2, 1), date(2026, 2, 28))
    # 10 × 2 + 4 × 2 × 0.5 + 2000 / 1000 × 10
    assert (february.from_clicks, february.from_engagements, february.from_impressions) == (20, 4, 20)
    assert february.total == Decimal("44.00")
    march = emv(date(2026, 3, 1), date(2026, 3, 31))
    assert march.total == Decimal("30") + Decimal("0") + Decimal("40")
    both = emv(date(2026, 2, 1), date(2026, 3, 31))
    assert both.total == february.total + march.total and len(both.versions) == 2


def test_a_new_version_never_rewrites_a_past_period(eur_rates):
    day_totals(date(2026, 2, 27), clicks=10)
    before = emv(date(2026, 2, 1), date(2026, 2, 28)).total
    emv_rate_create(network="linkedin", currency="EUR", effective_from=utc_day(timezone.now()),
                    cpc=Decimal("99"), cpm=Decimal("99"))
    assert emv(date(2026, 2, 1), date(2026, 2, 28)).total == before


def test_versions_cannot_start_in_the_past_or_before_the_latest(eur_rates):
    today = utc_day(timezone.now())
    with pytest.raises(ValidationError, match="past"):
        emv_rate_create(network="linkedin", currency="EUR", effective_from=today - timedelta(days=1),
                        cpc=Decimal("1"), cpm=Decimal("1"))
    emv_rate_create(network="linkedin", currency="EUR", effective_from=today + timedelta(days=10),
                    cpc=Decimal("1"), cpm=Decimal("1"))
    with pytest.raises(ValidationError, match="after it"):
        emv_rate_create(network="linkedin", currency="EUR", effective_from=today + timedelta(days=5),
                        cpc=Decimal("1"), cpm=Decimal("1"))
    with pytest.raises(ValidationError):
        emv_rate_create(network="linkedin", currency="EURO", effective_from=today + timedelta(days=20),
                        cpc=Decimal("1"), cpm=Decimal("1"))


def test_potential_reach_stands_in_for_missing_impressions_and_is_labelled(eur_rates):
    day_totals(date(2026, 3, 2), clicks=0, impressions=0, estimated_impressions=5000)
    value = emv(date(2026, 3, 1), date(2026, 3, 31))
    assert value.from_estimated == Decimal("100.00") and value.from_impressions == 0
    assert value.estimated_share == 100


def test_days_without_a_rate_are_counted_not_valued(eur_rates):
    day_totals(date(2025, 6, 1), clicks=5)
    value = emv(date(2025, 6, 1), date(2025, 6, 30))
    assert value.total == 0 and value.unvalued_days == 1


def test_currencies_are_separate(eur_rates):
    day_totals(date(2026, 3, 2), clicks=10)
    assert emv(date(2026, 3, 1), date(2026, 3, 31), currency="USD").total == Decimal("50.00")  # shipped default
    assert emv(date(2026, 3, 1), date(2026, 3, 31), currency="EUR").total == Decimal("30.00")
