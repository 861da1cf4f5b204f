"""SCIM 2.0 provisioning: the identity provider's bearer tokens, and what it says about a
person or a team beyond what ``accounts`` keeps."""

from django.conf import settings
from django.db import models


class ScimToken(models.Model):
    """The bearer token an identity provider (Entra ID, Okta, ...) calls ``/scim/v2/`` with.

    Made by an Admin in the Django admin and shown once; only its SHA-256 is kept (it is
    32 random bytes, so a fast hash is enough), as for personal API tokens. ``prefix`` (in
    the token, not secret) finds the row. Revoking is immediate.
    """

    name = models.CharField(max_length=100, help_text="Which identity provider uses it, e.g. “Entra ID”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return f"{self.name} (scim_{self.prefix}_…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None


class ProvisionedUser(models.Model):
    """What the identity provider says about a person that ``User`` does not hold: its own
    id for them and the parts of their name as it sent them (``User.full_name`` is made
    from them). ``deprovisioned_at``: the provider deleted them (SCIM DELETE); they are
    deactivated and no longer exist for SCIM (404), until the provider creates them again.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provisioned")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    formatted_name = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "provisioned person"

    def __str__(self) -> str:
        return f"SCIM: {self.user}"


class ProvisionedTeam(models.Model):
    """The identity provider's side of a team it manages as a SCIM group. ``deprovisioned_at``:
    the provider deleted the group; the team is kept (content targeting and past numbers
    refer to it) but has no members and no longer exists for SCIM."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="provisioned")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "provisioned team"

    def __str__(self) -> str:
        return f"SCIM: {self.team}"
