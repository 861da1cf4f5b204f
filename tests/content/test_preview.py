"""Link previews from realistic stored pages, plus one real fetch over loopback."""

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from content.preview import LinkPreview, fetch_image, fetch_preview, parse_preview, sniff_image_type
from core.fetcher import BadContentType, BlockedAddress
from tests.support import PageServer

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_news_article_prefers_opengraph_over_twitter_and_generic_tags():
    preview = parse_preview(page("news_article.html"),
                            base_url="https://www.maritimedaily.example/news/2024/05/northwind")
    assert preview == LinkPreview(
        title="Northwind ships carbon-neutral freight across the North Sea",
        description="After two years of trials, Northwind Logistics says its hydrogen-assisted vessels now carry "
                    "40% of its North Sea freight \u2014 with no increase in delivery times.",
        image_url="https://cdn.maritimedaily.example/img/2024/05/northwind-vessel-1200x630.jpg",  # the first og:image
        site_name="Maritime Daily",
        canonical_url="https://www.maritimedaily.example/news/2024/05/northwind-carbon-neutral-freight?utm_source=og",
        type="article",
        twitter_card="summary_large_image",
    )


def test_blog_with_only_title_and_meta_description():
    preview = parse_preview(page("blog_plain.html"), base_url="https://engineering.example.org/posts/ci/")
    assert preview.title == "Why we moved our build pipeline to self-hosted runners & what it cost us"
    assert preview.description == ("A look at the numbers behind our CI migration: queue times, flaky tests and "
                                   "the surprisingly small bill.")
    # Body images are not previews: only tags written for sharing count.
    assert (preview.image_url, preview.canonical_url, preview.site_name, preview.type) == ("", "", "", "")


def test_relative_image_and_canonical_resolve_against_base_href():
    preview = parse_preview(page("relative_urls.html"), base_url="https://www.fjord.example/blog/post?id=7")
    assert preview.image_url == "https://www.fjord.example/insights/2024/media/fjord-energy-hero.png"
    assert preview.canonical_url == "https://www.fjord.example/customers/fjord-energy/"
    assert preview.title == "How Fjord Energy cut onboarding time in half"


def test_relative_urls_without_base_resolve_against_the_page():
    html = b'<meta property="og:image" content="../img/a.png"><link rel="canonical" href="/story">'
    preview = parse_preview(html, base_url="https://news.example/section/sub/page.html")
    assert preview.image_url == "https://news.example/section/img/a.png"
    assert preview.canonical_url == "https://news.example/story"


def test_broken_markup_still_yields_a_preview():
    preview = parse_preview(page("broken_markup.html"), base_url="https://app.example/blog/spring-update")
    assert preview.title == "Spring product update: 12 new features"
    assert preview.description == "Dashboards, SSO and a much faster editor."  # escaped HTML stripped
    assert preview.image_url == "https://app.example/assets/spring-update.png"
    assert preview.twitter_card == "summary"


def test_unclosed_title_keeps_only_its_own_text():
    html = b"<html><head><title>Quarterly results <meta name=description content=Numbers><body><p>Body"
    preview = parse_preview(html, base_url="https://ir.example/")
    assert (preview.title, preview.description) == ("Quarterly results", "Numbers")


def test_windows_1252_page_with_smart_quotes_and_accents():
    preview = parse_preview(page("windows1252.html"), base_url="https://careers.northwind.example/paris")
    assert preview.title == "\u201cCaf\u00e9 culture\u201d \u2013 our Paris team\u2019s favourite spots"
    assert "\u201cpetit caf\u00e9\u201d" in preview.description
    assert preview.site_name == "Northwind \u2022 Life at Northwind"


@pytest.mark.parametrize("header", ["windows-1252", "ISO-8859-1", "latin1"])
def test_windows_1252_bytes_decode_with_a_header_label_including_latin1(header):
    # Servers often say latin-1 for windows-1252 text; browsers treat the two as one.
    html = "<title>\u201cR\u00e9sum\u00e9\u201d tips</title>".encode("cp1252")
    assert parse_preview(html, base_url="https://a.example/", charset=header).title == \
        "\u201cR\u00e9sum\u00e9\u201d tips"


@pytest.mark.parametrize(("name", "expected"), [
    ("windows1252.html", "\u201cCaf\u00e9 culture\u201d \u2013 our Paris team\u2019s favourite spots"),
    ("shift_jis.html", "株式会社ノースウィンド、横浜に新物流センターを開設"),
])
def test_undeclared_legacy_pages_are_detected(name, expected):
    html = re.sub(rb"<meta (http-equiv|charset)[^>]*>", b"", page(name))
    assert b"charset" not in html
    assert parse_preview(html, base_url="https://a.example/").title == expected


def test_header_charset_wins_over_a_wrong_meta_charset():
    html = '<meta charset="utf-8"><title>Gr\u00fc\u00dfe aus K\u00f6ln</title>'.encode("cp1252")
    assert parse_preview(html, base_url="https://a.example/", charset="windows-1252").title == \
        "Gr\u00fc\u00dfe aus K\u00f6ln"


def test_shift_jis_japanese_page():
    html = page("shift_jis.html")
    with pytest.raises(UnicodeDecodeError):
        html.decode("utf-8")  # the fixture really is not UTF-8
    preview = parse_preview(html, base_url="https://www.northwind.example.jp/news/")
    assert preview.title == "株式会社ノースウィンド、横浜に新物流センターを開設"
    assert "「ダメ文字」も正しく表示されます" in preview.description  # 0x5C trail bytes survive
    assert preview.site_name == "ノースウィンド ニュース"


def test_utf8_page_without_any_declaration():
    html = "<title>Zürich · São Paulo · 東京</title>".encode()
    assert parse_preview(html, base_url="https://a.example/").title == "Zürich · São Paulo · 東京"


def test_twitter_only_page():
    preview = parse_preview(page("twitter_only.html"), base_url="https://acme-events.example/register")
    assert preview.title == "Acme Summit 2024 \u2014 registration is open"
    assert preview.description == "Two days of talks on B2B marketing, 14\u201315 October, Manchester."
    assert preview.image_url == "https://static.acme-events.example/summit/2024/card.jpg"  # scheme-relative
    assert preview.canonical_url == "https://acme-events.example/summit-2024"
    assert (preview.twitter_card, preview.site_name, preview.type) == ("summary", "", "")


def test_only_http_urls_are_kept_and_the_next_candidate_is_used():
    html = b"""<meta property="og:image" content="data:image/png;base64,iVBORw0KGgo=">
    <meta name="twitter:image" content="javascript:alert(1)">
    <link rel="image_src" href="https://cdn.example/fallback.jpg">
    <meta property="og:url" content="javascript:alert(1)">
    <link rel="canonical" href="ftp://files.example/x">"""
    preview = parse_preview(html, base_url="https://a.example/")
    assert preview.image_url == "https://cdn.example/fallback.jpg"
    assert preview.canonical_url == ""


def test_long_text_is_capped_at_a_word_boundary():
    title = "Lorem ipsum " * 60
    description = "dolor sit amet " * 200
    html = f'<title>{title}</title><meta name="description" content="{description}">'.encode()
    preview = parse_preview(html, base_url="https://a.example/")
    assert len(preview.title) <= 300 and preview.title.endswith("…")
    assert len(preview.description) <= 1000 and preview.description.endswith("…")
    assert preview.title[:-1].split()[-1] in ("Lorem", "ipsum")  # no half word


def test_empty_or_garbage_input_gives_an_empty_preview():
    assert parse_preview(b"", base_url="https://a.example/") == LinkPreview()
    assert parse_preview(b"\x00\xff\xfe garbage", base_url="https://a.example/").title == ""


def test_sniff_image_type():
    assert sniff_image_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_image_type(b"GIF89a...") == "image/gif"
    assert sniff_image_type(b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"<svg xmlns=...") is None


# --- end to end over loopback ------------------------------------------------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def site(settings) -> Iterator[str]:
    """A tiny real web site on 127.0.0.1, allow-listed for the fetcher."""
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    pages = {
        "/news/northwind": (200, "text/html; charset=utf-8", page("news_article.html")),
        "/insights/story": (200, "text/html", page("relative_urls.html")),
        "/jp": (200, "text/html; charset=Shift_JIS", page("shift_jis.html")),
        "/img/hero.png": (200, "image/png", png_bytes()),
        "/img/fake.png": (200, "image/png", b"<html>not an image</html>"),
        "/s/abc": (302, "text/plain", b"", {"Location": "/insights/story"}),  # a short link
    }
    with PageServer(pages) as server:
        yield server.url


def test_fetch_preview_end_to_end(site):
    preview = fetch_preview(f"{site}/news/northwind")
    assert preview.title == "Northwind ships carbon-neutral freight across the North Sea"
    assert preview.twitter_card == "summary_large_image"
    assert fetch_preview(f"{site}/jp").title == "株式会社ノースウィンド、横浜に新物流センターを開設"


def test_fetch_preview_resolves_relative_urls_against_the_final_url(site):
    preview = fetch_preview(f"{site}/s/abc")  # a short link redirecting to the story
    assert preview.image_url == f"{site}/insights/2024/media/fjord-energy-hero.png"


def test_fetch_preview_goes_through_the_ssrf_policy(settings):
    settings.FETCHER_ALLOWED_HOSTS = []
    with pytest.raises(BlockedAddress):
        fetch_preview("http://169.254.169.254/latest/meta-data/")


def test_fetch_image_returns_bytes_and_the_real_type(site):
    data, content_type = fetch_image(f"{site}/img/hero.png")
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(data)).size == (4, 4)


def test_fetch_image_refuses_a_page_labelled_as_an_image_and_non_images(site):
    with pytest.raises(BadContentType, match="not a JPEG, PNG, GIF or WebP"):
        fetch_image(f"{site}/img/fake.png")
    with pytest.raises(BadContentType, match="not an image"):
        fetch_image(f"{site}/news/northwind")
