from django.conf import settings
from django.db import models


class PointsKind(models.TextChoices):
    SHARE = "share", "Share posted"
    FIRST_SHARE = "first_share", "First share bonus"
    CLICK = "click", "Unique click"
    ENGAGEMENT = "engagement", "Engagement (reaction, comment, reshare)"
    SUGGESTION = "suggestion", "Accepted suggestion"


DEFAULT_POINTS = {
    PointsKind.SHARE: 10,
    PointsKind.FIRST_SHARE: 25,
    PointsKind.CLICK: 1,
    PointsKind.ENGAGEMENT: 2,
    PointsKind.SUGGESTION: 15,
}


class PointsRule(models.Model):
    """How many points one unit of an event is worth. Changing a rule applies to events
    recorded from then on; lines already in the ledger keep the value they were given."""

    kind = models.CharField(max_length=20, choices=PointsKind.choices, primary_key=True)
    points = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.points}"


class PointsEntry(models.Model):
    """A line of the points ledger.

    ``(kind, event_key)`` is unique, so an event is never awarded twice. Events that
    accumulate (unique clicks and engagements on a share on a day) have one line whose
    ``quantity`` is recomputed from the source data, never incremented blindly; the
    ``unit_points`` it was first given stay fixed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=PointsKind.choices)
    share = models.ForeignKey("advocacy.Share", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(max_length=80)
    day = models.DateField()
    quantity = models.IntegerField(default=1)
    unit_points = models.IntegerField()
    points = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "points entries"
        ordering = ["-day", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "event_key"], name="points_event_once")]
        indexes = [
            models.Index(fields=["day", "user"], name="points_day_user"),
            models.Index(fields=["user", "day"], name="points_user_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} +{self.points} ({self.kind} {self.event_key})"


class PointsMonth(models.Model):
    """Points per person, team and calendar month (UTC), summed from the ledger for the
    (person, month) pairs whose lines changed. Month, quarter and all-time leaderboards
    read this — a row per active person per month — instead of every ledger line."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_index=False)
    month = models.DateField(help_text="First day of the month.")
    points = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["month", "user"], name="pointsmonth_month_user"),
            models.Index(fields=["user", "month"], name="pointsmonth_user_month"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.points}"
