from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import ContentItem, FeedSource
from content.services.feed_import import feed_import, feed_sources_due
from content.tasks import poll_feeds
from tests.factories import CampaignFactory, TeamFactory, TopicFactory
from tests.support import PageServer

pytestmark = pytest.mark.django_db


def rss(base: str, entries: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<description>&lt;p&gt;About {title}&lt;/p&gt;</description></item>"
        for path, title in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>'.encode()


@pytest.fixture
def site(settings):
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    with PageServer() as server:
        yield server


@pytest.fixture
def source(site):
    src = FeedSource.objects.create(
        name="Blog", url=f"{site.url}/feed.xml", daily_cap=3, default_campaign=CampaignFactory(),
        target_everyone=False,
    )
    src.default_topics.add(TopicFactory(name="Cloud"))
    src.target_teams.add(TeamFactory(name="Sales"))
    return src


def serve_feed(site, entries):
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.url, entries))


def test_new_entries_become_targeted_drafts(site, source):
    serve_feed(site, [("/a", "Alpha"), ("/b", "Beta")])
    result = feed_import(source=source)
    assert (result.created, result.duplicates, result.error) == (2, 0, "")
    item = ContentItem.objects.get(title="Alpha")
    assert item.status == "draft" and item.feed_source == source and item.url == f"{site.url}/a"
    assert item.summary == "About Alpha" and item.campaign == source.default_campaign
    assert [t.name for t in item.topics.all()] == ["Cloud"] and not item.target_everyone
    assert [t.name for t in item.target_teams.all()] == ["Sales"]
    source.refresh_from_db()
    assert source.last_polled_at and source.next_poll_at > timezone.now() and source.last_error == ""


def test_dedup_across_polls_by_guid_and_canonical_url(site, source):
    serve_feed(site, [("/a", "Alpha")])
    feed_import(source=source)
    # Same entry again, plus the same article under a tracking-tagged URL and a new GUID.
    site.pages["/feed.xml"] = (200, "application/rss+xml", (
        f'<rss version="2.0"><channel><title>x</title>'
        f"<item><title>Alpha</title><link>{site.url}/a</link><guid>{site.url}/a</guid></item>"
        f"<item><title>Alpha again</title><link>{site.url}/a?utm_source=rss</link><guid>other-guid</guid></item>"
        f"<item><title>Gamma</title><link>{site.url}/c</link><guid>{site.url}/c</guid></item>"
        "</channel></rss>").encode())
    result = feed_import(source=source)
    assert (result.created, result.duplicates) == (1, 2)
    assert sorted(ContentItem.objects.values_list("title", flat=True)) == ["Alpha", "Gamma"]


def test_daily_cap(site, source):
    serve_feed(site, [(f"/{i}", f"Post {i}") for i in range(5)])
    result = feed_import(source=source)
    assert (result.created, result.over_cap) == (3, 2)
    assert feed_import(source=source).created == 0  # still today: the cap holds across polls
    assert ContentItem.objects.count() == 3


@pytest.mark.parametrize(
    "page",
    [(500, "text/plain", b"oops"), (200, "application/rss+xml", b"<rss><channel><item><title>broken"),
     (200, "image/png", b"\x89PNG")],
)
def test_broken_feed_records_the_error_and_changes_nothing_else(site, source, page):
    site.pages["/feed.xml"] = page
    result = feed_import(source=source)
    assert result.created == 0 and result.error
    source.refresh_from_db()
    assert source.last_error == result.error and source.last_error_at is not None
    assert ContentItem.objects.count() == 0


def test_private_feed_url_is_refused_by_the_ssrf_guard(source, settings):
    settings.FETCHER_ALLOWED_HOSTS = []
    result = feed_import(source=source)
    assert result.error and "127.0.0.1" in result.error
    assert ContentItem.objects.count() == 0


def test_poll_feeds_picks_due_sources(site, source):
    serve_feed(site, [("/a", "Alpha")])
    FeedSource.objects.create(name="Later", url=f"{site.url}/other.xml",
                              next_poll_at=timezone.now() + timedelta(hours=1))
    FeedSource.objects.create(name="Off", url=f"{site.url}/off.xml", is_active=False)
    assert feed_sources_due() == [source.pk]
    assert poll_feeds() == 1  # eager in tests: the import ran
    assert ContentItem.objects.filter(feed_source=source).count() == 1
    assert feed_sources_due() == []
