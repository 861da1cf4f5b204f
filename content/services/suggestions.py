"""Employee content suggestions: an advocate suggests a link; a curator accepts or rejects it."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from content.models import ContentItem, ContentStatus, ContentSuggestion, SuggestionStatus
from content.services.history import content_log_change
from content.services.links import library_item_for_link, link_match_key
from content.services.previews import content_request_preview
from content.services.workflow import NotAllowed, WorkflowError
from content.signals import suggestion_reviewed
from content.text_rules import validate_http_url


class SuggestionMerge:
    """Why a suggestion made no new draft (``ContentSuggestion.status`` is ``merged``)."""

    ALREADY_SUGGESTED = "already_suggested"  # a colleague's suggestion is waiting for review
    IN_LIBRARY = "in_library"  # the library has the item (draft, in review, live or expired)


def suggestion_merge_reason(suggestion: ContentSuggestion) -> str:
    """``SuggestionMerge.ALREADY_SUGGESTED`` or ``IN_LIBRARY`` for a merged suggestion; "" otherwise."""
    if suggestion.status != SuggestionStatus.MERGED:
        return ""
    waiting = ContentSuggestion.objects.filter(
        item_id=suggestion.merged_into_id, status=SuggestionStatus.PENDING
    ).exists() if suggestion.merged_into_id else False
    return SuggestionMerge.ALREADY_SUGGESTED if waiting else SuggestionMerge.IN_LIBRARY


@transaction.atomic
def suggestion_create(*, user: User, url: str, note: str = "") -> ContentSuggestion:
    """Record the suggestion and put a draft in the curators' review queue — unless the link
    is already there: a link someone already suggested, or one in the library (compared by
    ``link_match_key``: scheme, ``www.``, host case, trailing slash and ``utm_*`` aside), is
    recorded as *merged* into that item, with the note added to its history, and no second
    draft is made. A link typed without ``https://`` gets it."""
    url = validate_http_url(url)
    key = link_match_key(url)[:2000]
    existing = library_item_for_link(url)
    if existing is None:
        # An earlier suggestion whose draft is not archived (the draft's link may since have
        # been edited by a curator: the suggestion's own key still counts).
        earlier = (
            ContentSuggestion.objects.filter(url_key=key, item__isnull=False)
            .exclude(item__status=ContentStatus.ARCHIVED).select_related("item").order_by("created_at").first()
        )
        existing = earlier.item if earlier else None
    if existing is not None:
        suggestion = ContentSuggestion.objects.create(
            suggested_by=user, url=url, url_key=key, note=note[:2000], status=SuggestionStatus.MERGED,
            merged_into=existing,
        )
        content_log_change(item=existing, user=user, action="suggest",
                           note=f"Suggested again by {user.get_full_name()}" + (f": {note}" if note else ""))
        return suggestion
    item = ContentItem.objects.create(
        title=url[:300], url=url, summary="", status=ContentStatus.DRAFT, created_by=user
    )
    suggestion = ContentSuggestion.objects.create(
        suggested_by=user, url=url, url_key=key, note=note[:2000], item=item
    )
    content_log_change(item=item, user=user, action="suggest", note=note)
    content_request_preview(item=item)
    return suggestion


def _review(suggestion: ContentSuggestion, *, user: User, status: str, message: str) -> ContentSuggestion:
    if not user.has_perm("content.change_contentsuggestion"):
        raise NotAllowed("Only curators can review suggestions.")
    updated = ContentSuggestion.objects.filter(pk=suggestion.pk, status=SuggestionStatus.PENDING).update(
        status=status, reviewed_by=user, reviewed_at=timezone.now(), response=message[:2000]
    )
    if not updated:
        raise WorkflowError("This suggestion was already reviewed.")
    suggestion.refresh_from_db()
    transaction.on_commit(
        lambda: suggestion_reviewed.send(sender=ContentSuggestion, suggestion_id=suggestion.pk)
    )
    return suggestion


@transaction.atomic
def suggestion_accept(*, suggestion: ContentSuggestion, user: User, message: str = "") -> ContentSuggestion:
    """Accept: the draft stays in the library for the curator to finish and submit."""
    suggestion = _review(suggestion, user=user, status=SuggestionStatus.ACCEPTED, message=message)
    if suggestion.item_id:
        content_log_change(item=suggestion.item, user=user, action="accept_suggestion", note=message)
    return suggestion


@transaction.atomic
def suggestion_reject(*, suggestion: ContentSuggestion, user: User, message: str = "") -> ContentSuggestion:
    """Reject with a message to the employee; the draft is archived."""
    suggestion = _review(suggestion, user=user, status=SuggestionStatus.REJECTED, message=message)
    if suggestion.item_id:
        ContentItem.objects.filter(pk=suggestion.item_id, status=ContentStatus.DRAFT).update(
            status=ContentStatus.ARCHIVED
        )
        content_log_change(item=suggestion.item, user=user, action="reject_suggestion", note=message)
    return suggestion
