"""RSS/Atom import: turn a feed's bytes into plain entries Chorus can suggest as content.

feedparser copes with the many dialects and broken feeds in the wild, but it will
also happily fetch a URL, or open a local file when handed a string that happens to
be a path. So it only ever gets bytes wrapped in a stream; fetching goes through the
SSRF-safe fetcher like every other user-supplied URL.

Entries are reduced to what a curator needs (link, title, a plain-text summary,
date, image) and their links are canonicalised so the same article arriving with
different tracking parameters is recognised as already imported.
"""

from __future__ import annotations

import io
import re
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import feedparser
from bs4 import BeautifulSoup

from content.preview import html_to_text, truncate_text
from core import fetcher

FEED_TYPES: Final = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "text/html",  # some servers label feeds as HTML; it also lets us discover a page's feed
)
FEED_MAX_BYTES: Final = 5 * 1024 * 1024  # full-content feeds with 50 items pass 2 MB
SUMMARY_MAX: Final = 1000
TITLE_MAX: Final = 300

# Query parameters that only say where a click came from; they never select content.
TRACKING_PARAMS: Final = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "li_fat_id", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok",
    "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_cid", "_ga", "_gl",
})
# feedparser flags these but parses the feed fine; they are not "malformed".
_BENIGN_BOZO: Final = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_HTML_START: Final = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


class FeedParseError(Exception):
    """The bytes are not a usable feed; ``reason`` is safe to show to the curator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FeedEntry:
    guid: str  # the feed's id for the entry, or its link when it has none
    url: str  # absolute http(s) link to the article
    title: str
    summary: str  # plain text, at most SUMMARY_MAX characters
    published: datetime | None  # aware, UTC
    image_url: str = ""  # absolute http(s) URL or empty


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[FeedEntry] = field(default_factory=list)


def parse_feed(data: bytes, *, feed_url: str) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom bytes fetched from ``feed_url``.

    Relative links resolve against ``feed_url`` (and ``xml:base``). Entries without a
    usable http(s) link are dropped: there would be nothing to share. Raises
    ``FeedParseError`` when the bytes are not a feed at all.
    """
    # A stream, never a str/bytes: feedparser treats strings as URLs or file paths.
    # application/xml makes it honour the XML declaration's encoding (RFC 7303).
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers={"content-location": feed_url, "content-type": "application/xml"}
    )
    entries = [entry for raw in parsed.entries if (entry := _entry(raw, feed_url)) is not None]
    malformed = parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _BENIGN_BOZO)
    if not entries and (malformed or not parsed.get("version")):
        raise FeedParseError(_failure_reason(data, parsed))
    title = _plain_text(parsed.feed.get("title", ""), _is_html(parsed.feed.get("title_detail")))
    return ParsedFeed(title=truncate_text(title, TITLE_MAX), entries=entries)


def fetch_feed(url: str) -> ParsedFeed:
    """Fetch and parse a feed; when ``url`` is a web page that links to a feed, use that.

    Curators often paste a blog's home page rather than its feed, so one level of
    ``<link rel="alternate" type="application/rss+xml">`` discovery is done here.
    Raises ``fetcher.FetchError`` or ``FeedParseError``, both with a ``reason``.
    """
    result = fetcher.fetch(url, accept=FEED_TYPES, max_bytes=FEED_MAX_BYTES)
    try:
        return parse_feed(result.body, feed_url=result.url)
    except FeedParseError:
        discovered = discover_feed_url(result.body, base_url=result.url) if _looks_like_html(result) else ""
        if not discovered or canonicalize_url(discovered) == canonicalize_url(result.url):
            raise
    result = fetcher.fetch(discovered, accept=FEED_TYPES, max_bytes=FEED_MAX_BYTES)
    return parse_feed(result.body, feed_url=result.url)


def discover_feed_url(html: bytes, *, base_url: str) -> str:
    """The first RSS/Atom feed a page advertises in ``<link rel="alternate">``, or ""."""
    soup = BeautifulSoup(html, "html.parser")
    for link in soup.find_all("link", href=True):
        rels = link.get("rel") or []
        kind = str(link.get("type", "")).lower()
        if "alternate" in [r.lower() for r in rels] and kind in ("application/rss+xml", "application/atom+xml"):
            url = urljoin(base_url, str(link["href"]).strip())
            if urlsplit(url).scheme in ("http", "https"):
                return url
    return ""


def canonicalize_url(url: str) -> str:
    """A stable form of ``url`` for de-duplication (not for fetching).

    Lower-cases scheme and host, drops credentials, the default port, the fragment,
    ``utm_*`` and click-id parameters, sorts the remaining parameters (keeping their
    original encoding) and removes a trailing slash except on the root path.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    kept = [pair for pair in parts.query.split("&") if pair and not _is_tracking(pair)]
    return urlunsplit((scheme, netloc, path, "&".join(sorted(kept)), ""))


# --- helpers ------------------------------------------------------------------------------


def _entry(raw: Any, feed_url: str) -> FeedEntry | None:
    url = _web_url(raw.get("link", ""), feed_url)  # feedparser picks rel="alternate" or a permalink guid
    if not url:
        return None
    summary_html, summary_is_html = _summary_source(raw)
    return FeedEntry(
        guid=str(raw.get("id") or "").strip() or url,
        url=url,
        title=truncate_text(_plain_text(raw.get("title", ""), _is_html(raw.get("title_detail"))), TITLE_MAX),
        summary=truncate_text(_plain_text(summary_html, summary_is_html), SUMMARY_MAX),
        published=_published(raw),
        image_url=_image_url(raw, feed_url, summary_html if summary_is_html else ""),
    )


def _summary_source(raw: Any) -> tuple[str, bool]:
    """The entry's summary, or its full content when the feed gives no summary."""
    if raw.get("summary"):
        return raw["summary"], _is_html(raw.get("summary_detail"))
    for content in raw.get("content", []):
        if content.get("value"):
            return content["value"], _is_html(content)
    return "", False


def _is_html(detail: Any) -> bool:
    kind = (detail or {}).get("type", "text/html")
    return kind in ("text/html", "application/xhtml+xml")


def _plain_text(value: str, is_html: bool) -> str:
    return html_to_text(value) if is_html else " ".join(value.split())


def _published(raw: Any) -> datetime | None:
    """feedparser normalises dates to UTC struct_time; missing or impossible dates give None."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(raw, key)  # FeedParserDict.get would alias updated→published, with a warning
        if value:
            try:
                return datetime.fromtimestamp(timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _image_url(raw: Any, feed_url: str, html: str) -> str:
    """The entry's picture: media:content/thumbnail, an image enclosure, else the first <img>."""
    candidates: list[str] = []
    for media in raw.get("media_content", []):
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            candidates.append(media.get("url", ""))
    candidates += [thumb.get("url", "") for thumb in raw.get("media_thumbnail", [])]
    candidates += [link.get("href", "") for link in raw.get("links", [])
                   if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/")]
    if html:
        img = BeautifulSoup(html, "html.parser").find("img", src=True)
        if img is not None:
            candidates.append(str(img["src"]))
    for candidate in candidates:
        if url := _web_url(candidate, feed_url):
            return url
    return ""


def _web_url(value: str, base: str) -> str:
    if not value or not value.strip():
        return ""
    url = urljoin(base, value.strip())
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.hostname else ""


def _is_tracking(pair: str) -> bool:
    key = unquote_plus(pair.split("=", 1)[0]).lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def _looks_like_html(result: fetcher.FetchResult) -> bool:
    return result.content_type == "text/html" or bool(_HTML_START.match(result.body[:1024]))


def _failure_reason(data: bytes, parsed: Any) -> str:
    if not data.strip():
        return "The feed address returned an empty document."
    if _HTML_START.match(data[:1024]):
        return ("This address is a web page, not an RSS or Atom feed. Look for the site's feed link "
                "(often ending in /feed or /rss.xml).")
    problem = parsed.get("bozo_exception")
    detail = ""
    if data.lstrip().startswith(b"<") and hasattr(problem, "getLineNumber"):
        detail = f" (the XML breaks at line {problem.getLineNumber()})"
    return f"This address did not return a readable RSS or Atom feed{detail}."
