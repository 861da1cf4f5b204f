"""RSS/Atom parsing on realistic feeds, URL canonicalisation, and fetch_feed over loopback."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from content.feeds import (
    FeedEntry,
    FeedParseError,
    canonicalize_url,
    discover_feed_url,
    fetch_feed,
    parse_feed,
)
from core.fetcher import BlockedAddress
from tests.support import PageServer

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.fixture
def rss():
    return parse_feed(feed("company_blog_rss2.xml"), feed_url="https://www.northwind.example/feed/")


@pytest.fixture
def atom():
    return parse_feed(feed("engineering_atom.xml"), feed_url="https://engineering.northwind.example/blog/atom.xml")


def test_rss2_feed_title_and_usable_entries_only(rss):
    assert rss.title == "Northwind Logistics \u2013 Newsroom"
    assert [e.title for e in rss.entries] == [
        "Northwind opens a carbon-neutral hub in Rotterdam",
        "Customer story: Fjord Energy halves onboarding time",
        "Webinar recording: AT&T and the last mile",
    ]  # the item with no link and the javascript: one are skipped


def test_rss2_full_entry(rss):
    assert rss.entries[0] == FeedEntry(
        guid="https://www.northwind.example/?p=4812",
        url="https://www.northwind.example/news/rotterdam-hub/?utm_source=rss&utm_medium=rss",
        title="Northwind opens a carbon-neutral hub in Rotterdam",
        summary="Our new Rotterdam hub runs on 100% renewable power & cuts road miles by a third. "
                "The post Northwind opens a carbon-neutral hub in Rotterdam appeared first on Northwind Logistics.",
        published=datetime(2024, 5, 14, 7, 30, tzinfo=UTC),  # +0100 normalised to UTC
        image_url="https://cdn.northwind.example/2024/05/rotterdam-hub-1200.jpg",  # media:content first
    )


def test_rss2_relative_link_guid_fallback_enclosure_and_missing_date(rss):
    story = rss.entries[1]
    assert story.url == "https://www.northwind.example/customers/fjord-energy/"
    assert story.guid == story.url
    assert story.image_url == "https://cdn.northwind.example/2024/05/fjord.png"
    assert story.published is None


def test_rss2_content_encoded_is_the_summary_when_no_description(rss):
    webinar = rss.entries[2]
    assert webinar.summary == "Watch the recording Panel with AT&T, DHL & us."
    assert webinar.published is None  # an unparseable pubDate is treated as missing
    assert webinar.guid == "https://www.northwind.example/webinars/last-mile"


def test_atom_feed(atom):
    assert atom.title == "Northwind Engineering"
    assert len(atom.entries) == 2  # the draft has only an edit link
    runners, postgres = atom.entries
    assert runners.url == "https://engineering.northwind.example/blog/2024/05/self-hosted-runners/"  # xml:base
    assert runners.guid == "tag:engineering.northwind.example,2024-05-10:/blog/2024/05/self-hosted-runners"
    assert runners.title == "Moving CI to self-hosted runners (and what it cost)"  # type="html" title stripped
    assert runners.summary == "Queue times, flaky tests and the surprisingly small bill."
    assert runners.published == datetime(2024, 5, 10, 16, 0, tzinfo=UTC)  # published wins over updated
    assert runners.image_url == "https://engineering.northwind.example/blog/images/runners.jpg"
    assert postgres.summary == "We upgraded 14 \u2192 16 with logical replication."
    assert postgres.published == datetime(2024, 4, 2, 7, 15, tzinfo=UTC)  # only <updated>
    assert postgres.image_url == "https://engineering.northwind.example/blog/img/pg.png"  # <img> in content


def test_dates_are_aware_utc(rss, atom):
    for entry in rss.entries + atom.entries:
        assert entry.published is None or entry.published.tzinfo is UTC


def test_summary_is_plain_text_capped_at_1000_characters():
    paragraphs = "".join(f"<p>Paragraph {n} with <a href='/x'>a link</a> &amp; more words.</p>" for n in range(80))
    data = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Long</title>
      <item><title>Long one</title><link>https://a.example/long</link>
      <description><![CDATA[{paragraphs}]]></description></item></channel></rss>""".encode()
    summary = parse_feed(data, feed_url="https://a.example/feed").entries[0].summary
    assert len(summary) <= 1000 and summary.endswith("…")
    assert "<" not in summary and "&amp;" not in summary
    assert summary.startswith("Paragraph 0 with a link & more words. Paragraph 1")


def test_windows_1252_feed_uses_the_xml_declaration():
    data = ('<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel>'
            "<title>Caf\u00e9 \u201cnews\u201d</title><item><title>R\u00e9sum\u00e9</title>"
            "<link>https://a.example/r</link></item></channel></rss>").encode("cp1252")
    parsed = parse_feed(data, feed_url="https://a.example/feed")
    assert (parsed.title, parsed.entries[0].title) == ("Caf\u00e9 \u201cnews\u201d", "R\u00e9sum\u00e9")


def test_valid_feed_without_items_is_empty_not_an_error():
    data = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet blog</title></channel></rss>'
    assert parse_feed(data, feed_url="https://a.example/feed").entries == []


def test_truncated_feed_keeps_the_entries_it_could_read():
    whole = feed("company_blog_rss2.xml")
    data = whole[: whole.index(b"<title>Webinar") + 20]  # cut off inside the third item
    entries = parse_feed(data, feed_url="https://www.northwind.example/feed/").entries
    assert [e.url for e in entries] == [
        "https://www.northwind.example/news/rotterdam-hub/?utm_source=rss&utm_medium=rss",
        "https://www.northwind.example/customers/fjord-energy/",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty document"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "did not return a readable RSS or Atom feed"),
        (b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>Ben & Jerry</title></channel></rss>',
         "the XML breaks at line 4"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><item><title>A</ti",
         "did not return a readable"),
        (b"<!DOCTYPE html><html><head><title>Blog</title></head><body><p>Hi</body></html>",
         "is a web page, not an RSS or Atom feed"),
        (b"/etc/passwd", "did not return a readable"),  # never opened as a file
    ],
)
def test_broken_feeds_raise_feed_parse_error(data, reason):
    with pytest.raises(FeedParseError) as info:
        parse_feed(data, feed_url="https://a.example/feed")
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://WWW.Example.COM/Blog/Post/", "https://www.example.com/Blog/Post"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a/", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&UTM_Campaign=z", "https://example.com/a"),
        ("https://example.com/a?fbclid=1&gclid=2&msclkid=3&mc_cid=4&_hsenc=5", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&utm_source=x", "https://example.com/a?a=1&b=2"),
        ("https://example.com/search?q=caf%C3%A9+bar&page=2", "https://example.com/search?page=2&q=caf%C3%A9+bar"),
        ("https://example.com/a?id=7&id=3", "https://example.com/a?id=3&id=7"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://[2001:DB8::1]:443/x/", "https://[2001:db8::1]/x"),
        ("  https://example.com/a/  ", "https://example.com/a"),
        ("https://example.com/a?", "https://example.com/a"),
    ],
)
def test_canonicalize_url(url, canonical):
    assert canonicalize_url(url) == canonical
    assert canonicalize_url(canonical) == canonical  # idempotent


def test_canonicalize_url_makes_tracking_variants_equal():
    variants = [
        "https://www.northwind.example/news/rotterdam-hub/?utm_source=rss&utm_medium=rss",
        "https://WWW.northwind.example/news/rotterdam-hub?fbclid=IwAR0",
        "https://www.northwind.example:443/news/rotterdam-hub/#top",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1


def test_discover_feed_url():
    html = b"""<html><head>
      <link rel="stylesheet" href="/style.css">
      <link rel="alternate" type="application/rss+xml" title="Comments" href="feed/comments.xml">
      <link rel="alternate" type="application/atom+xml" href="/atom.xml">
    </head></html>"""
    assert discover_feed_url(html, base_url="https://blog.example/en/") == "https://blog.example/en/feed/comments.xml"
    assert discover_feed_url(b"<html><head></head></html>", base_url="https://blog.example/") == ""


# --- fetch_feed over loopback ----------------------------------------------------------------


@pytest.fixture
def blog(settings) -> Iterator[str]:
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    pages = {
        "/feed/": (200, "application/rss+xml; charset=UTF-8", feed("company_blog_rss2.xml")),
        "/atom.xml": (200, "application/atom+xml", feed("engineering_atom.xml")),
        "/": (200, "text/html; charset=utf-8",
              b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>'),
        "/plain-page": (200, "text/html", b"<html><head><title>No feed here</title></head></html>"),
        "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n"),
    }
    with PageServer(pages) as server:
        yield server.url


def test_fetch_feed_end_to_end(blog):
    parsed = fetch_feed(f"{blog}/feed/")
    assert parsed.title == "Northwind Logistics \u2013 Newsroom"
    assert len(parsed.entries) == 3
    assert fetch_feed(f"{blog}/atom.xml").title == "Northwind Engineering"


def test_fetch_feed_discovers_the_feed_of_a_home_page(blog):
    assert fetch_feed(f"{blog}/").title == "Northwind Logistics \u2013 Newsroom"


def test_fetch_feed_errors_are_user_facing(blog, settings):
    with pytest.raises(FeedParseError, match="is a web page, not an RSS or Atom feed"):
        fetch_feed(f"{blog}/plain-page")
    with pytest.raises(Exception, match="not an RSS or Atom feed"):
        fetch_feed(f"{blog}/image.png")
    settings.FETCHER_ALLOWED_HOSTS = []
    with pytest.raises(BlockedAddress):
        fetch_feed(f"{blog}/feed/")
