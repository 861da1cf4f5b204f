import secrets
import string
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from content.models import ContentItem, Network, ShareText

_ALPHABET = string.ascii_letters + string.digits


def new_link_code() -> str:
    """10 random base-62 characters (~59 bits): short, unguessable, URL-safe."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


class ShareStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    POSTING = "posting", "Posting"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Failed"
    UNCONFIRMED = "unconfirmed", "Needs confirmation"
    CANCELLED = "cancelled", "Cancelled"


class Share(models.Model):
    """One employee sharing one item to one network.

    The row is written before anything is sent; a worker moves it
    queued → posting → posted / failed (see ``advocacy.services.posting``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares")
    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="shares")
    network = models.CharField(max_length=10, choices=Network.choices)
    account = models.ForeignKey(
        "advocacy.SocialAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="shares"
    )
    variant = models.ForeignKey(ShareText, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(help_text="What the employee wrote (before disclosure and link).")
    final_text = models.TextField(help_text="Exactly what is posted.")
    edited = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=ShareStatus.choices, default=ShareStatus.QUEUED,
                              db_index=True)
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=64)
    link_code = models.CharField(max_length=12, unique=True, default=new_link_code)

    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # The Celery task id of the share's last dispatch by a sweep (or a reconciliation): the
    # stale sweep looks for that message in the broker before sending another.
    dispatch_id = models.CharField(max_length=64, blank=True, default="")
    posting_started_at = models.DateTimeField(null=True, blank=True)
    # When the first request to publish this share was about to be sent; never reset (not
    # even by Retry). A text-only share may only adopt a post created after it.
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when an attempt may have reached the provider without an answer.
    ambiguous_at = models.DateTimeField(null=True, blank=True)
    # When this share first found its network unavailable (a 5xx, a timeout, an open circuit
    # breaker) in the current set of attempts; it fails once that lasts the retry window.
    # Retry starts a new set of attempts: attempts = 0 and this cleared.
    unavailable_since = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    remote_id = models.CharField(max_length=100, blank=True, db_index=True)
    remote_url = models.URLField(max_length=500, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=40, blank=True)

    audience_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="The sharer's audience when they shared (potential reach)."
    )
    cost_estimate = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key", "network"], name="share_idempotency"
            ),
            # A remote post belongs to one share: recording another share's post is a lost share.
            models.UniqueConstraint(
                fields=["network", "remote_id"], condition=~Q(remote_id=""), name="share_one_share_per_post"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "item"]),
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["network", "posted_at"]),
            # "Has this person ever shared?" (the adoption funnel, per person) from the index alone.
            models.Index(fields=["user", "status"], name="share_user_status"),
            # This month's X spend.
            models.Index(fields=["network", "created_at"], name="share_network_created"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.get_network_display()}: {self.item}"

    @property
    def tracked_url(self) -> str:
        return f"{settings.SITE_URL}/r/{self.link_code}"

    @property
    def can_retry(self) -> bool:
        return self.status in {ShareStatus.FAILED, ShareStatus.UNCONFIRMED}

    @property
    def can_cancel(self) -> bool:
        return self.status in {ShareStatus.SCHEDULED, ShareStatus.QUEUED} and self.attempts == 0

    @property
    def has_link(self) -> bool:
        """Whether the post carries this share's tracked link (the item has a URL); a
        text-only share has nothing unique in its text."""
        return bool(self.item.url)
