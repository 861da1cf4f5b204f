"""RSS/Atom import: new entries of due feed sources become drafts for curators."""

import logging
from dataclasses import dataclass
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from content.feeds import FeedParseError, canonicalize_url, fetch_feed
from content.models import ContentItem, ContentStatus, FeedSource
from content.services.history import content_log_change
from content.text_rules import validate_http_url
from core.fetcher import FetchError

logger = logging.getLogger(__name__)


@dataclass
class FeedImportResult:
    created: int = 0
    duplicates: int = 0
    over_cap: int = 0
    skipped: int = 0  # entries whose link is not an http(s) web address
    error: str = ""


def feed_sources_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        FeedSource.objects.filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), is_active=True)
        .order_by("next_poll_at")
        .values_list("pk", flat=True)
    )


def feed_import(*, source: FeedSource, now: datetime | None = None) -> FeedImportResult:
    """Poll ``source`` once. A broken feed records its error and changes nothing else."""
    now = now or timezone.now()
    result = FeedImportResult()
    try:
        parsed = fetch_feed(source.url)
    except (FetchError, FeedParseError) as exc:
        result.error = str(getattr(exc, "reason", exc))[:500]
        source.last_error = result.error
        source.last_error_at = now
        source.last_polled_at = now
        source.schedule_next(now)
        source.save(update_fields=["last_error", "last_error_at", "last_polled_at", "next_poll_at"])
        return result

    day_start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    created_today = ContentItem.objects.filter(feed_source=source, created_at__gte=day_start).count()
    room = max(source.daily_cap - created_today, 0)
    guids = {e.guid for e in parsed.entries}
    canon = {canonicalize_url(e.url) for e in parsed.entries}
    known_guids = set(
        ContentItem.objects.filter(feed_source=source, feed_guid__in=guids).values_list("feed_guid", flat=True)
    )
    known_urls = set(ContentItem.objects.filter(canonical_url__in=canon).values_list("canonical_url", flat=True))
    topics = list(source.default_topics.all())
    teams = list(source.target_teams.all())

    with transaction.atomic():
        for entry in parsed.entries:
            try:
                validate_http_url(entry.url[:2000])  # items link to web pages only (no ftp:, javascript:)
            except ValidationError:
                result.skipped += 1
                continue
            url = canonicalize_url(entry.url)
            if entry.guid in known_guids or url in known_urls:
                result.duplicates += 1
                continue
            if result.created >= room:
                result.over_cap += 1
                continue
            item = ContentItem.objects.create(
                title=(entry.title or url)[:300],
                url=entry.url[:2000],
                canonical_url=url[:2000],
                summary=entry.summary,
                preview_title=(entry.title or "")[:300],
                preview_description=entry.summary,
                preview_image_url=entry.image_url[:2000],
                content_type=source.default_content_type,
                campaign=source.default_campaign,
                target_everyone=source.target_everyone,
                status=ContentStatus.DRAFT,
                feed_source=source,
                feed_guid=entry.guid[:500],
            )
            if topics:
                item.topics.set(topics)
            if teams:
                item.target_teams.set(teams)
            content_log_change(item=item, user=None, action="import", note=f"Imported from feed “{source.name}”")
            known_guids.add(entry.guid)
            known_urls.add(url)
            result.created += 1
        source.last_error = ""
        source.last_polled_at = now
        source.schedule_next(now)
        source.save(update_fields=["last_error", "last_polled_at", "next_poll_at"])
    return result
