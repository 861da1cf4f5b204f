"""Earned media value, valued day by day with the rate version in force on each day.

EMV = clicks × CPC + engagements × CPC × reaction multiplier + impressions ÷ 1000 × CPM

where *impressions* are the network-reported impressions, and, for shares whose network
reports none, the share's potential reach stands in (shown separately, labelled
"estimated"). Rates live in ``EmvRate`` versions per network and currency; a version is
never edited and a new one may not start in the past, so adding one cannot change a
report that was already produced.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from analytics.models import EmvRate
from analytics.periods import utc_day

THOUSAND = Decimal(1000)
CENT = Decimal("0.01")


@dataclass
class EmvBreakdown:
    currency: str
    total: Decimal = Decimal("0")
    from_clicks: Decimal = Decimal("0")
    from_engagements: Decimal = Decimal("0")
    from_impressions: Decimal = Decimal("0")  # network-reported
    from_estimated: Decimal = Decimal("0")  # potential reach standing in
    unvalued_days: int = 0  # days × networks with activity but no rate in force
    versions: set[int] = field(default_factory=set)  # EmvRate ids used

    @property
    def estimated_share(self) -> int:
        """Percent of the value that rests on potential reach, not reported impressions."""
        return round(100 * self.from_estimated / self.total) if self.total else 0


class RateTable:
    """Versions per network for one currency, looked up by day."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._by_network: dict[str, list[EmvRate]] = defaultdict(list)
        for rate in EmvRate.objects.filter(currency=currency).order_by("network", "effective_from"):
            self._by_network[rate.network].append(rate)
        self._starts = {n: [r.effective_from for r in rates] for n, rates in self._by_network.items()}

    def rate_on(self, network: str, day: date) -> EmvRate | None:
        starts = self._starts.get(network)
        if not starts:
            return None
        index = bisect_right(starts, day) - 1
        return self._by_network[network][index] if index >= 0 else None


def emv_value(rows, *, currency: str) -> EmvBreakdown:
    """Value rows with ``day``, ``network``, ``clicks``, ``engagements``, ``impressions``
    and ``estimated_impressions`` (e.g. DailyTotals summed per day and network)."""
    table = RateTable(currency)
    out = EmvBreakdown(currency=currency)
    for row in rows:
        rate = table.rate_on(row["network"], row["day"])
        if rate is None:
            if row["clicks"] or row["impressions"] or row["estimated_impressions"]:
                out.unvalued_days += 1
            continue
        out.versions.add(rate.pk)
        out.from_clicks += row["clicks"] * rate.cpc
        out.from_engagements += max(row["engagements"], 0) * rate.cpc * rate.reaction_multiplier
        out.from_impressions += Decimal(max(row["impressions"], 0)) / THOUSAND * rate.cpm
        out.from_estimated += Decimal(row["estimated_impressions"]) / THOUSAND * rate.cpm
    for name in ("from_clicks", "from_engagements", "from_impressions", "from_estimated"):
        setattr(out, name, getattr(out, name).quantize(CENT))
    out.total = out.from_clicks + out.from_engagements + out.from_impressions + out.from_estimated
    return out


def emv_rate_create(*, network: str, currency: str, effective_from: date, cpc: Decimal, cpm: Decimal,
                    reaction_multiplier: Decimal = Decimal("0"), note: str = "", user=None) -> EmvRate:
    """Add a rate version. It may not start before today (UTC) or before the latest
    version of the same network and currency: past reports keep their values."""
    rate = EmvRate(network=network, currency=currency, effective_from=effective_from, cpc=cpc, cpm=cpm,
                   reaction_multiplier=reaction_multiplier, note=note, created_by=user)
    emv_rate_validate(rate)
    rate.save()
    return rate


def emv_rate_validate(rate: EmvRate, *, full_clean: bool = True) -> None:
    if full_clean:
        rate.full_clean()
    today = utc_day(timezone.now())
    if rate.effective_from < today:
        raise ValidationError({"effective_from": "A new rate version cannot start in the past: that would "
                                                 "change reports already produced. Use today or a later day."})
    latest = (
        EmvRate.objects.filter(network=rate.network, currency=rate.currency)
        .exclude(pk=rate.pk).order_by("-effective_from").first()
    )
    if latest and rate.effective_from <= latest.effective_from:
        raise ValidationError({"effective_from": f"The latest version already starts on {latest.effective_from}; "
                                                 "a new one must start after it."})
