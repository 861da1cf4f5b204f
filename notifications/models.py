"""Notification fan-out, digests and email deliveries."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.crypto import EncryptedTextField


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
    # The push task run that claimed this notification for Web Push (its task id): a
    # notification is pushed by one run only (notifications.services.push).
    push_claim = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="notification_dedupe"
            )
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryKind(models.TextChoices):
    NEW_CONTENT = "new_content", "New content"
    WEEKLY_DIGEST = "weekly_digest", "Weekly digest"
    DAILY_DIGEST = "daily_digest", "Daily digest"
    TEST_DIGEST = "test_digest", "Test digest"
    ALERT = "alert", "Alert"


DIGEST_KINDS = frozenset({DeliveryKind.WEEKLY_DIGEST, DeliveryKind.DAILY_DIGEST, DeliveryKind.TEST_DIGEST})


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (nothing new)"
    RETRYING = "retrying", "Failed, will retry"
    FAILED = "failed", "Failed"


class EmailDelivery(models.Model):
    """One email to one person: the claim that makes it happen once, and its log entry.

    A row is inserted *before* anything is sent. ``(user, kind, period)`` is unique, so a
    weekly digest for ISO week ``2025-W48`` (or the new-content email for ``item-42``) can be
    claimed by one run only, however many workers or beat processes try. Whoever inserted
    the row (``claim_token``) sends it; failures are retried by ``notify.retry_due``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries")
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices)
    # The unit of "once": an ISO week ("2025-W48"), a local day ("2025-11-25"), "item-42",
    # "n-17" (a notification), or a fresh "adhoc-…" for what may repeat (test digests).
    period = models.CharField(max_length=40)
    item = models.ForeignKey(
        "content.ContentItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notification = models.ForeignKey(
        "notifications.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    claim_token = models.CharField(max_length=64, db_index=True)
    to_email = models.EmailField(blank=True, help_text="The address at the time it was claimed.")
    subject = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # One-click unsubscribe links carry this row's id; a link works once.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "email delivery"
        verbose_name_plural = "email deliveries"
        constraints = [
            # Not a partial index on purpose: "already claimed?" lookups must be able to use it.
            models.UniqueConstraint(fields=["user", "kind", "period"], name="email_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["kind", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email or self.user_id} ({self.period})"


class ContentFanout(models.Model):
    """The record that an item's publication still has to be announced.

    Written when ``content_published`` fires, before anything is enqueued: if the broker is
    down the row stays ``pending`` and ``notify.fanout_sweep`` dispatches it later.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DISPATCHED = "dispatched", "Dispatched"

    item = models.OneToOneField("content.ContentItem", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    recipients = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "content fan-out"

    def __str__(self) -> str:
        return f"Fan-out of item {self.item_id}: {self.status}"


SLACK_WEBHOOK_PREFIX = "https://hooks.slack.com/"
# Microsoft's hosts for Teams incoming webhooks: Power Automate Workflows ("Post to a channel
# when a webhook request is received") and the older connectors.
TEAMS_WEBHOOK_HOST_SUFFIXES = (".logic.azure.com", ".powerplatform.com", ".webhook.office.com")


def validate_slack_webhook_url(value: str) -> None:
    """Only Slack's own incoming-webhook host: the URL is admin-entered and we POST to it."""
    parts = urlsplit(value.strip())
    if (
        parts.scheme != "https"
        or parts.hostname != "hooks.slack.com"
        or parts.port not in (None, 443)
        or parts.username
        or parts.password
        or not parts.path.startswith("/services/")
        or len(parts.path) < len("/services/") + 5
    ):
        raise ValidationError(
            "Paste the Incoming Webhook URL Slack gave you: it starts with https://hooks.slack.com/services/"
        )


def validate_teams_webhook_url(value: str) -> None:
    """Only Microsoft's webhook hosts (or ``TEAMS_WEBHOOK_EXTRA_HOSTS``, a test receiver or a
    relay the operator runs): the URL is admin-entered and we POST to it."""
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    extra = {h.strip().lower() for h in getattr(settings, "TEAMS_WEBHOOK_EXTRA_HOSTS", []) if h.strip()}
    microsoft = parts.scheme == "https" and host.endswith(TEAMS_WEBHOOK_HOST_SUFFIXES) and parts.port in (None, 443)
    if (
        not (microsoft or (host in extra and parts.scheme in ("http", "https")))
        or parts.username
        or parts.password
        or len(parts.path) < 2
    ):
        raise ValidationError(
            "Paste the URL of the Teams workflow “Post to a channel when a webhook request is received”: it "
            "starts with https:// and its host ends with .logic.azure.com, .powerplatform.com or "
            ".webhook.office.com."
        )


class ChannelWebhook(models.Model):
    """A team's chat channel (Slack, Microsoft Teams) where new content for the team is
    announced. The URL is a secret (anyone holding it can post to the channel): encrypted at
    rest and never shown again in full. Concrete models add ``team`` and ``url`` (with their
    network's validator)."""

    is_active = models.BooleanField(default=True)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    url: str

    class Meta:
        abstract = True

    @property
    def masked_url(self) -> str:
        if not self.url:
            return ""
        head, _, tail = self.url.partition("?")[0].rpartition("/")
        return f"{head}/{tail[:2]}••••••" if head else "••••••"


class AnnouncementStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Refused by the channel"
    UNKNOWN = "unknown", "Unknown (no answer: not repeated)"


class ChannelAnnouncement(models.Model):
    """One item announced in one team's channel: claimed before the POST, so an item is
    never announced twice there (a task delivered twice, a worker that died mid-post, a
    timeout after the channel had already taken the message). At most once: an announcement
    whose fate is unknown is recorded, not repeated. Concrete models add ``webhook``."""

    Status = AnnouncementStatus

    item = models.ForeignKey("content.ContentItem", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=AnnouncementStatus.choices, default=AnnouncementStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"item {self.item_id} in {self.webhook}: {self.status}"  # type: ignore[attr-defined]


class TeamSlackWebhook(ChannelWebhook):
    """A team's Slack channel (an incoming webhook)."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="slack_webhook")
    url = EncryptedTextField("incoming webhook URL", validators=[validate_slack_webhook_url])

    class Meta:
        verbose_name = "team Slack webhook"

    def __str__(self) -> str:
        return f"Slack for {self.team}"


class SlackAnnouncement(ChannelAnnouncement):
    webhook = models.ForeignKey(TeamSlackWebhook, on_delete=models.CASCADE, related_name="announcements")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["webhook", "item"], name="slack_announce_once")]


class TeamsWebhook(ChannelWebhook):
    """A team's Microsoft Teams channel (a Workflows "when a webhook request is received" URL)."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="teams_webhook")
    url = EncryptedTextField("workflow webhook URL", validators=[validate_teams_webhook_url])

    class Meta:
        verbose_name = "team Microsoft Teams webhook"

    def __str__(self) -> str:
        return f"Teams for {self.team}"


class TeamsAnnouncement(ChannelAnnouncement):
    webhook = models.ForeignKey(TeamsWebhook, on_delete=models.CASCADE, related_name="announcements")

    class Meta:
        verbose_name = "Teams announcement"
        constraints = [models.UniqueConstraint(fields=["webhook", "item"], name="teams_announce_once")]


class OutboxMessage(models.Model):
    """No table: gives the development mail folder ("Outbox") its place in the admin."""

    class Meta:
        managed = False
        verbose_name = "outbox (development mail)"
        verbose_name_plural = "outbox (development mail)"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return "Outbox"


class PushSubscription(models.Model):
    """One browser or phone that asked for Web Push notifications (RFC 8030), for one person.

    The browser gives us the push service's ``endpoint`` (a URL we POST to: user-supplied,
    so checked against the push services' hosts and sent through the SSRF policy), its
    P-256 public key ``p256dh`` and a 16-byte ``auth`` secret (RFC 8291) that the payload's
    encryption depends on: the auth secret is encrypted at rest, the public key need not
    be. A push service's 404 or 410 means the browser dropped it: the row is deleted.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField("public key (p256dh)", max_length=120)
    auth = EncryptedTextField("auth secret")
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Consecutive failed pushes (not counting 404/410, which delete the row at once).
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "push subscription"

    def __str__(self) -> str:
        return f"Push to {urlsplit(self.endpoint).hostname} for user {self.user_id}"
