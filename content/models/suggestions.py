from django.conf import settings
from django.db import models


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Not accepted"
    # The link was already suggested, or is already in the library: no second draft was made.
    MERGED = "merged", "Already suggested"


class ContentSuggestion(models.Model):
    """A link an advocate thinks colleagues should share."""

    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_suggestions"
    )
    url = models.URLField(max_length=2000)
    # The link as compared for duplicates (``content.services.links.link_match_key``).
    url_key = models.CharField(max_length=2000, blank=True, db_index=True)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING, db_index=True
    )
    item = models.OneToOneField(
        "content.ContentItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestion"
    )
    merged_into = models.ForeignKey(
        "content.ContentItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_suggestions",
        help_text="The library item (or earlier suggestion's draft) this suggestion was merged into.",
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
