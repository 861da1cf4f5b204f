from django.db import models


class ClickKind(models.IntegerChoices):
    CLICK = 1, "Click"
    BOT = 2, "Preview (crawler or bot)"
    HEAD = 3, "Preview (HEAD request)"
    PREFETCH = 4, "Preview (prefetch)"


class Device(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"
    DESKTOP = "desktop", "Desktop"
    BOT = "bot", "Bot"
    UNKNOWN = "unknown", "Unknown"


class Click(models.Model):
    """One request to a tracked link ``/r/<code>``.

    Previews (crawlers, HEAD, prefetch) are kept too, so marketing can see how often
    links are unfurled, but they never count as clicks. No IP address and no user agent
    is stored: ``visitor_key`` is an HMAC of IP and user agent under a salt that exists
    for one UTC day only, so it can tell "the same visitor today" and nothing more.
    """

    # Makes the flush from the Redis buffer idempotent: a batch replayed after a crash
    # inserts nothing twice.
    event_id = models.UUIDField(unique=True, editable=False)
    share = models.ForeignKey("advocacy.Share", on_delete=models.CASCADE, related_name="+", db_index=False)
    occurred_at = models.DateTimeField()
    day = models.DateField(help_text="UTC day of the click.")
    kind = models.PositiveSmallIntegerField(choices=ClickKind.choices, default=ClickKind.CLICK)
    visitor_key = models.CharField(max_length=32, blank=True)
    device = models.CharField(max_length=8, choices=Device.choices, default=Device.UNKNOWN)
    referrer_domain = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [models.Index(fields=["share", "day"], name="click_share_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on share {self.share_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class DailySalt(models.Model):
    """The random salt of one UTC day's visitor keys. Deleted after two days, after
    which nobody (not even an administrator with the database) can link a visitor key
    back to an IP address by trying addresses."""

    day = models.DateField(primary_key=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"salt of {self.day}"
