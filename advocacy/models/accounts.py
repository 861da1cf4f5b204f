from django.conf import settings
from django.db import models
from django.utils import timezone

from content.models import Network
from core.crypto import EncryptedTextField


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Connected"
    EXPIRING = "expiring", "Expiring soon"
    NEEDS_RECONNECT = "reconnect", "Needs reconnecting"
    REVOKED = "revoked", "Disconnected"


class SocialAccount(models.Model):
    """An employee's own LinkedIn or X connection. Tokens are encrypted at rest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="social_accounts")
    network = models.CharField(max_length=10, choices=Network.choices)
    remote_id = models.CharField(max_length=100)
    handle = models.CharField(max_length=100, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    audience_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Followers (X) or connections (LinkedIn, entered by the employee)."
    )
    scopes = models.CharField(max_length=500, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE,
                              db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="one_account_per_network"),
        ]
        indexes = [models.Index(fields=["network", "remote_id"])]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle or self.display_name or self.remote_id}"

    @property
    def is_usable(self) -> bool:
        return self.status in {AccountStatus.ACTIVE, AccountStatus.EXPIRING} and bool(self.access_token)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())
