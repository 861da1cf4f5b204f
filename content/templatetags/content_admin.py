"""Admin template tags for the content library."""

from django import template

from content.models import (
    ContentItem,
    ContentRevision,
    ContentStatus,
    ContentSuggestion,
    RevisionStatus,
    SuggestionStatus,
)

register = template.Library()


def review_queue_counts() -> dict[str, int]:
    """What waits in the review queue (ContentItemAdmin.review_queue_view): items in review,
    changes proposed to live items, employees' suggestions. One query each."""
    items = ContentItem.objects.filter(status=ContentStatus.IN_REVIEW).count()
    revisions = ContentRevision.objects.filter(status=RevisionStatus.PENDING).count()
    suggestions = ContentSuggestion.objects.filter(status=SuggestionStatus.PENDING).count()
    return {"items": items, "revisions": revisions, "suggestions": suggestions,
            "total": items + revisions + suggestions}


@register.simple_tag
def review_queue_summary(user) -> dict[str, int] | None:
    """What waits in the review queue, for the admin home's link (None for staff who may
    not see content items)."""
    if not user.has_perm("content.view_contentitem"):
        return None
    return review_queue_counts()
