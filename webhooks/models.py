"""Signed outbound webhooks: endpoints, the events they are sent, and the delivery log.

An *event* is recorded once, with the exact JSON body every endpoint receives (signed as
sent, so it is stored as text, never re-serialised). It gets one *delivery* per endpoint
subscribed at that moment, unique per (endpoint, event), and each try of a delivery
leaves an *attempt* row with the answer's status code, time and the start of its body.
"""

import uuid
from urllib.parse import urlsplit

from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.crypto import EncryptedTextField


class EventType(models.TextChoices):
    CONTENT_PUBLISHED = "content.published", "Content published"
    SHARE_POSTED = "share.posted", "Share posted"
    SHARE_FAILED = "share.failed", "Share failed"
    CLICKS_RECORDED = "clicks.recorded", "Clicks recorded (batched)"
    DIGEST_SENT = "digest.sent", "Digest sent"
    PERSON_JOINED = "person.joined", "Person joined"
    TEST = "webhook.test", "Test event"


# What an endpoint may subscribe to (the test event goes to one endpoint, on request).
SUBSCRIBABLE: tuple[str, ...] = tuple(t.value for t in EventType if t != EventType.TEST)


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribes to, signed with its own secret.

    The secret (``whsec_`` + base64, Standard Webhooks' format) is encrypted at rest and
    shown to the admin once, when it is made. After a rotation the previous secret signs
    too until ``previous_secret_until``, so the receiver can switch without a gap.
    """

    url = models.URLField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event types sent to this endpoint.")
    secret = EncryptedTextField(editable=False)
    previous_secret = EncryptedTextField(blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField("active", default=True)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # The failing streak: attempts in a row that got no 2xx, since when.
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.display_url

    @property
    def display_url(self) -> str:
        """The URL without its query string (which may carry the receiver's own token)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")

    @property
    def masked_secret(self) -> str:
        return f"{self.secret[:10]}••••••" if self.secret else ""

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.events or [])

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookEvent(models.Model):
    """Something that happened, as every endpoint receives it. ``uid`` is the Standard
    Webhooks ``webhook-id`` (``evt_<hex>``): the same on every retry, so receivers dedupe
    on it. ``dedupe_key`` (when set) makes recording the same happening twice a no-op."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices, db_index=True)
    body = models.TextField(help_text="The JSON body exactly as sent and signed.")
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.webhook_id}"

    @property
    def webhook_id(self) -> str:
        return f"evt_{self.uid.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event to one endpoint: the row is the claim (pending → sending in one UPDATE
    carrying a fresh ``claim_token``) and the summary of its attempts."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event.type} to {self.endpoint}: {self.status}"


class WebhookAttempt(models.Model):
    """One POST of a delivery (or the refusal to make it): the delivery log's detail."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the answer (at most 1,000 characters).")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"
