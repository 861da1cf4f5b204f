from decimal import Decimal

from django.db import models


class Heartbeat(models.Model):
    """When a Chorus process last proved it was alive (``beat``, ``worker``)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class ProgrammeSettings(models.Model):
    """Programme-wide settings admins change at runtime (one row)."""

    x_monthly_budget = models.DecimalField(
        "X monthly budget (USD)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("100.00"),
        help_text="Beyond this estimated spend per calendar month, X shares are refused. LinkedIn is unaffected.",
    )
    social_media_policy = models.TextField(
        blank=True,
        help_text="What employees accept before they share (plain text; blank lines separate paragraphs). "
        "Saving a changed text makes a new version, which everyone accepts again at their next visit. "
        "Empty: no policy step.",
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
