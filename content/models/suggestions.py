from django.conf import settings
from django.db import models


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Not accepted"


class ContentSuggestion(models.Model):
    """A link an advocate thinks colleagues should share."""

    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_suggestions"
    )
    url = models.URLField(max_length=2000)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING, db_index=True
    )
    item = models.OneToOneField(
        "content.ContentItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestion"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="Message to the employee who suggested it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url
