"""Link previews: fetched in the background whenever an item's URL is set or changed."""

import logging
import mimetypes

from django.core.files.base import ContentFile
from django.utils import timezone

from content.models import ContentItem, PreviewStatus
from content.preview import fetch_image, fetch_preview
from core.fetcher import FetchError
from core.queueing import enqueue

logger = logging.getLogger(__name__)


def content_request_preview(*, item: ContentItem) -> None:
    """Mark the preview as pending and fetch it after the current transaction commits."""
    if not item.url:
        ContentItem.objects.filter(pk=item.pk).update(preview_status=PreviewStatus.NONE, preview_error="")
        return
    ContentItem.objects.filter(pk=item.pk).update(preview_status=PreviewStatus.PENDING, preview_error="")
    item.preview_status = PreviewStatus.PENDING
    enqueue("content.fetch_link_preview", item.pk, item.url)


def content_fetch_preview(*, item: ContentItem, url: str) -> ContentItem:
    """Fetch ``url`` through the SSRF-safe fetcher and store what the page says about itself.

    Fields a curator already filled in by hand are kept; a failure is stored with its
    reason so the curator sees it in admin and can fill the fields in.
    """
    if item.url != url:
        return item  # the URL changed again meanwhile; the newer task will handle it
    try:
        preview = fetch_preview(url)
    except FetchError as exc:
        item.preview_status = PreviewStatus.FAILED
        item.preview_error = str(getattr(exc, "reason", exc))[:500]
        item.preview_fetched_at = timezone.now()
        item.save(update_fields=["preview_status", "preview_error", "preview_fetched_at", "updated_at"])
        return item
    fetched_before = item.preview_title
    item.preview_title = preview.title[:300]
    item.preview_description = preview.description
    item.preview_image_url = preview.image_url[:2000]
    item.preview_site_name = preview.site_name[:200]
    item.canonical_url = (preview.canonical_url or url)[:2000]
    # The title is optional with a link: an empty one (or one that was only the previous
    # link's fetched title) becomes the page's title; one the curator typed is kept.
    if not item.title or item.title == fetched_before:
        item.title = preview.title[:300]
    if not item.summary:
        item.summary = preview.description
    item.preview_status = PreviewStatus.OK
    item.preview_error = ""
    item.preview_fetched_at = timezone.now()
    fields = [
        "preview_title", "preview_description", "preview_image_url", "preview_site_name", "canonical_url",
        "title", "summary", "preview_status", "preview_error", "preview_fetched_at", "updated_at",
    ]
    if preview.image_url and not item.image:
        try:
            data, content_type = fetch_image(preview.image_url)
            ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".img"
            item.image.save(f"preview-{item.pk}{ext}", ContentFile(data), save=False)
            fields.append("image")
        except FetchError as exc:
            item.preview_error = f"Image not downloaded: {getattr(exc, 'reason', exc)}"[:500]
    item.save(update_fields=fields)
    return item
