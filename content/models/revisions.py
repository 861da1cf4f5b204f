"""Pending revisions: a change to an approved item that waits for an approver."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class RevisionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REPLACED = "replaced", "Replaced by a later revision"


class ContentRevision(models.Model):
    """Proposed values for an approved, scheduled or published item.

    The item itself stays as approved (feed, emails, API and tracked links read it) until
    an approver applies the revision. ``data`` holds only what the revision changes:
    ``{"fields": {name: value}, "m2m": {name: [ids]}, "texts": [{id, network, text,
    position}] | absent}``; ``before`` the live values of the same keys when it was
    proposed, so the review queue can tell a conflict from the proposal.
    """

    item = models.ForeignKey("content.ContentItem", on_delete=models.CASCADE, related_name="revisions")
    status = models.CharField(
        max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.PENDING, db_index=True
    )
    data = models.JSONField(default=dict)
    before = models.JSONField(default=dict)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="Why it was rejected, for the curator.")

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(status="pending"), name="one_pending_revision_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"Revision of “{self.item}” ({self.get_status_display().lower()})"
