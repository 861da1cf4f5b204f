"""Background work for the content library. Tasks take ids and call services."""

from celery import shared_task

from content.models import ContentItem, FeedSource
from content.services.feed_import import feed_import, feed_sources_due
from content.services.previews import content_fetch_preview
from content.services.workflow import content_expire_due, content_publish_due
from core.queueing import send


@shared_task(name="content.publish_due")
def publish_due() -> int:
    """Every minute. Overlapping runs are harmless: publishing is a conditional UPDATE."""
    return content_publish_due()


@shared_task(name="content.expire_due")
def expire_due() -> int:
    """Every minute. Expiring twice is a no-op (only published items move)."""
    return content_expire_due()


@shared_task(name="content.fetch_link_preview", autoretry_for=(), acks_late=True)
def fetch_link_preview(item_id: int, url: str) -> None:
    """Fetch the preview for ``url``. Skipped if the item is gone or its URL changed since."""
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None or item.url != url:
        return
    content_fetch_preview(item=item, url=url)


@shared_task(name="content.poll_feeds")
def poll_feeds() -> int:
    """Beat: queue an import for each due feed source."""
    due = feed_sources_due()
    for source_id in due:
        send("content.import_feed", source_id)
    return len(due)


@shared_task(name="content.import_feed", acks_late=True)
def import_feed(source_id: int) -> int:
    """Import one feed. Running twice creates nothing new (dedup by GUID and canonical URL)."""
    source = FeedSource.objects.filter(pk=source_id, is_active=True).first()
    if source is None:
        return 0
    return feed_import(source=source).created
