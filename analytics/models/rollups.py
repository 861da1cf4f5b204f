from django.conf import settings
from django.db import models


class _Counters(models.Model):
    shares = models.PositiveIntegerField(default=0)
    potential_reach = models.PositiveBigIntegerField(default=0)
    # Potential reach standing in for impressions, for shares whose network reports none.
    estimated_impressions = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    unique_clicks = models.PositiveIntegerField(default=0)
    previews = models.PositiveIntegerField(default=0)
    # Gains on the day (differences between snapshots); may be negative (an unlike).
    reactions = models.IntegerField(default=0)
    comments = models.IntegerField(default=0)
    reshares = models.IntegerField(default=0)
    impressions = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class ShareDay(_Counters):
    """Everything that happened to one share on one UTC day. Rebuilt for the (share, day)
    pairs that new clicks, snapshots or postings touch; never incremented in place.
    ``shares`` is 1 on the day the share was posted and 0 on the others."""

    share = models.ForeignKey("advocacy.Share", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    network = models.CharField(max_length=10)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    item = models.ForeignKey("content.ContentItem", on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign = models.ForeignKey("content.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["share", "day"], name="shareday_share_day")]
        indexes = [
            # A period's rows in day order with everything the top-advocates ranking reads
            # and filters on: that query never touches the table.
            models.Index(fields=["day", "user", "network", "campaign", "team", "clicks", "shares", "unique_clicks",
                                 "reactions", "comments", "reshares", "potential_reach"], name="shareday_day_cover"),
            models.Index(fields=["user", "day"], name="shareday_user_day"),
            models.Index(fields=["item", "day"], name="shareday_item_day"),
            models.Index(fields=["campaign", "day"], name="shareday_campaign_day"),
            models.Index(fields=["team", "day"], name="shareday_team_day"),
            # Who shared in a period (active advocates, per team): the posting-day rows
            # (shares = 1, a third of the table) in day order, everything the count needs in
            # the index. Not a partial index: SQLite cannot use one for a bound parameter.
            models.Index(fields=["shares", "day", "user", "team"], name="shareday_posting_days"),
        ]

    def __str__(self) -> str:
        return f"share {self.share_id} on {self.day}"


class DailyTotals(_Counters):
    """ShareDay summed per day, network, campaign and team: small enough that KPI tiles,
    the time series and the teams table read a few hundred rows for any period."""

    day = models.DateField()
    network = models.CharField(max_length=10)
    campaign = models.ForeignKey("content.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)

    class Meta:
        verbose_name_plural = "daily totals"
        indexes = [
            models.Index(fields=["day", "network"], name="dailytotals_day"),
            models.Index(fields=["campaign", "day"], name="dailytotals_campaign_day"),
            models.Index(fields=["team", "day"], name="dailytotals_team_day"),
        ]
        permissions = [("view_dashboard", "Can view marketing analytics")]

    def __str__(self) -> str:
        return f"{self.day} {self.network}"


class TeamDay(_Counters):
    """ShareDay summed per day, network and team (DailyTotals without the campaign): a few
    dozen rows a day, so the KPI tiles, the series, EMV and the teams table read ~100 rows
    per day of any period instead of thousands. Views filtered by campaign read DailyTotals.
    Rebuilt with DailyTotals for the same days (``bulk_sql.daily_totals_insert``)."""

    day = models.DateField()
    network = models.CharField(max_length=10)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["day", "network"], name="teamday_day"),
            models.Index(fields=["team", "day"], name="teamday_team_day"),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id} on {self.day} ({self.network})"


class ItemDay(_Counters):
    """ShareDay summed per day, item, network and campaign: top content reads a few hundred
    rows a day (the items that had activity) instead of a row per share."""

    day = models.DateField()
    item = models.ForeignKey("content.ContentItem", on_delete=models.CASCADE, related_name="+", db_index=False)
    network = models.CharField(max_length=10)
    campaign = models.ForeignKey("content.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["day", "network"], name="itemday_day"),
            models.Index(fields=["campaign", "day"], name="itemday_campaign_day"),
            models.Index(fields=["item", "day"], name="itemday_item_day"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} on {self.day}"


class RollupCursor(models.Model):
    """How far the rollup sweep has read a source (an id, or a time as epoch seconds)."""

    name = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)
    moved_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"
