"""Duplicating an item: a new draft with the same content, texts and targeting."""

from django.db import transaction

from accounts.models import User
from content.models import ContentItem, ContentStatus, ShareText
from content.services.history import content_log_change


@transaction.atomic
def content_duplicate(*, item: ContentItem, user: User) -> ContentItem:
    topics, teams = list(item.topics.all()), list(item.target_teams.all())
    texts = list(item.share_texts.all())
    copy = ContentItem.objects.get(pk=item.pk)
    copy.pk = None
    copy.title = f"{item.title} (copy)"[:300]
    copy.status = ContentStatus.DRAFT
    copy.published_at = copy.approved_at = copy.approved_by = None
    copy.publish_at = None
    copy.feed_source, copy.feed_guid = None, ""
    copy.created_by = user
    copy.save()
    copy.topics.set(topics)
    copy.target_teams.set(teams)
    ShareText.objects.bulk_create(
        [ShareText(item=copy, network=t.network, text=t.text, position=t.position) for t in texts]
    )
    content_log_change(item=copy, user=user, action="duplicate", note=f"Copied from item {item.pk}")
    return copy
