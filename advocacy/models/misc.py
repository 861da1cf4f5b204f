from decimal import Decimal

from django.conf import settings
from django.db import models


class Heartbeat(models.Model):
    """When a Chorus process last proved it was alive (``beat``, ``worker``)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notification (the notification centre shows these)."""

    class Kind(models.TextChoices):
        NEW_CONTENT = "new_content", "New content"
        SHARE_FAILED = "share_failed", "Share failed"
        SHARE_UNCONFIRMED = "share_unconfirmed", "Share needs confirmation"
        RECONNECT = "reconnect", "Account needs reconnecting"
        EXPIRING = "expiring", "Connection expiring soon"
        SUGGESTION = "suggestion", "Suggestion reviewed"
        RANK = "rank", "Weekly rank"
        SYSTEM = "system", "System"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    item = models.ForeignKey("content.ContentItem", null=True, blank=True, on_delete=models.CASCADE)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Makes "notify once" idempotent (e.g. one expiry warning per account per threshold).
    dedupe_key = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="notification_dedupe"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProgrammeSettings(models.Model):
    """Programme-wide settings admins change at runtime (one row)."""

    x_monthly_budget = models.DecimalField(
        "X monthly budget (USD)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("100.00"),
        help_text="Beyond this estimated spend per calendar month, X shares are refused. LinkedIn is unaffected.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "programme settings"

    def __str__(self) -> str:
        return "Programme settings"

    @classmethod
    def load(cls) -> "ProgrammeSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
