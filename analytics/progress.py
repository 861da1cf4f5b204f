"""Shares and clicks per campaign, for campaign goals: the one place they are counted, for
the admin and the digest (through ``content.progress``) and the analytics page alike.

Both come from the ``ItemDay`` rollup (a minute or two old, kept by the rollup sweep),
never from the shares or raw click tables: a campaign at scale has hundreds of thousands
of shares and millions of clicks, and goal progress is shown on pages opened every day.
A share or click counts towards the campaign its item had when it happened, over the
campaign's whole life, whatever period a page is filtered to.
"""

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from analytics.models import ItemDay
from content.models import Campaign


def with_progress_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """``campaigns`` annotated with ``progress_shares`` and ``progress_clicks``.

    Correlated subqueries rather than grouped queries: any number of campaigns is then
    counted in the one query that lists them."""

    def total(column: str) -> Subquery:
        rows = (
            ItemDay.objects.filter(campaign=OuterRef("pk"))
            .order_by().values("campaign").annotate(n=Sum(column)).values("n")
        )
        return Subquery(rows, output_field=IntegerField())

    return campaigns.annotate(
        progress_shares=Coalesce(total("shares"), 0), progress_clicks=Coalesce(total("clicks"), 0)
    )


def campaign_counts(campaign: Campaign) -> dict[str, int]:
    """One campaign's ``{"shares": …, "clicks": …}`` (the counter ``content.progress`` calls)."""
    row = (
        with_progress_counts(Campaign.objects.filter(pk=campaign.pk))
        .values("progress_shares", "progress_clicks").first()
    )
    if row is None:  # deleted meanwhile
        return {"shares": 0, "clicks": 0}
    return {"shares": row["progress_shares"], "clicks": row["progress_clicks"]}
