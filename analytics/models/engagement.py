from decimal import Decimal

from django.db import models


class ShareMetrics(models.Model):
    """Latest network-reported totals for one posted share, its polling schedule, and the
    dimensions frozen when the share was posted (so a later team move or campaign edit
    does not rewrite history)."""

    share = models.OneToOneField("advocacy.Share", on_delete=models.CASCADE, primary_key=True,
                                 related_name="metrics")
    posted_day = models.DateField()
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey("content.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    reactions = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    reshares = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: the network reports none.")
    members_reached = models.PositiveIntegerField(null=True, blank=True)

    stage = models.PositiveSmallIntegerField(default=0, help_text="Index of the next scheduled poll.")
    next_poll_at = models.DateTimeField(null=True, blank=True, help_text="Empty: polling is finished.")
    polls = models.PositiveSmallIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # X bills a read once per post per UTC day: the day of the last billed read.
    last_read_day = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="Why the last poll was skipped, if it was.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "share metrics"
        indexes = [models.Index(fields=["next_poll_at"], name="sharemetrics_next_poll")]

    def __str__(self) -> str:
        return f"metrics of share {self.share_id}"

    @property
    def engagements(self) -> int:
        return self.reactions + self.comments + self.reshares


class EngagementSnapshot(models.Model):
    """What a network reported for one post at one moment (a time series per share).

    ``d_*`` are the changes since the previous snapshot, so that "engagements gained on
    a day" is a plain sum and daily rollups never have to look at two snapshots."""

    share = models.ForeignKey("advocacy.Share", on_delete=models.CASCADE, related_name="+", db_index=False)
    taken_at = models.DateTimeField()
    day = models.DateField()
    reactions = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    reshares = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(null=True, blank=True)
    members_reached = models.PositiveIntegerField(null=True, blank=True)
    d_reactions = models.IntegerField(default=0)
    d_comments = models.IntegerField(default=0)
    d_reshares = models.IntegerField(default=0)
    d_impressions = models.IntegerField(default=0)

    class Meta:
        ordering = ["share_id", "taken_at"]
        indexes = [models.Index(fields=["share", "day"], name="snapshot_share_day")]

    def __str__(self) -> str:
        return f"share {self.share_id} at {self.taken_at:%Y-%m-%d %H:%M}"

    @property
    def engagements(self) -> int:
        return self.reactions + self.comments + self.reshares


class ApiUsage(models.Model):
    """Metrics reads per network and UTC day, with what X bills for them."""

    day = models.DateField()
    network = models.CharField(max_length=10)
    calls = models.PositiveIntegerField(default=0)
    posts_read = models.PositiveIntegerField(default=0)
    billed_reads = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))

    class Meta:
        verbose_name = verbose_name_plural = "metrics API usage"
        ordering = ["-day", "network"]
        constraints = [models.UniqueConstraint(fields=["day", "network"], name="apiusage_day_network")]

    def __str__(self) -> str:
        return f"{self.network} {self.day}: {self.calls} calls"
