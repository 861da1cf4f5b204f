"""Link previews: the title, description and image a curator sees when pasting a URL.

Pages describe themselves for social networks in OpenGraph (``og:*``) and Twitter
Card (``twitter:*``) tags; those are written for exactly this purpose, so they win
over the generic ``<title>`` and meta description. Parsing is kept apart from
fetching (``parse_preview`` is pure) so the rules can be tested on stored pages.

Pages in the wild are often not UTF-8 and often not well-formed, so decoding follows
the browser order (HTTP header, then ``<meta charset>``, then detection) and parsing
uses the forgiving ``html.parser``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag, UnicodeDammit
from bs4.dammit import EncodingDetector

from core import fetcher

IMAGE_TYPES: Final = ("image/jpeg", "image/png", "image/gif", "image/webp")
TITLE_MAX: Final = 300
DESCRIPTION_MAX: Final = 1000

# Labels browsers treat as a wider encoding (WHATWG Encoding Standard): pages labelled
# latin-1 are really written in windows-1252, Shift_JIS pages use Microsoft's cp932.
_ENCODING_ALIASES: Final = {
    "iso8859-1": "windows-1252",
    "ascii": "windows-1252",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}

_TAG: Final = re.compile(r"</?[a-zA-Z][^<>]*>")

_BLOCK_TAGS: Final = [
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
]

_IMAGE_SIGNATURES: Final = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class LinkPreview:
    title: str = ""
    description: str = ""
    image_url: str = ""  # absolute http(s) URL
    site_name: str = ""
    canonical_url: str = ""  # absolute http(s) URL
    type: str = ""  # og:type, e.g. "article"
    twitter_card: str = ""  # e.g. "summary_large_image"


def parse_preview(html: bytes, *, base_url: str, charset: str | None = None) -> LinkPreview:
    """Extract a ``LinkPreview`` from a page's bytes; ``base_url`` is the URL it came from.

    ``charset`` is the one from the HTTP Content-Type header, if any. Missing fields
    are empty strings, never None, so templates and models need no special cases.
    """
    soup = BeautifulSoup(_decode(html, charset), "html.parser")
    meta = _meta_tags(soup)
    base = _base_url(soup, base_url)

    title = _first_text(meta.get("og:title"), meta.get("twitter:title"), _title_text(soup))
    description = _first_text(meta.get("og:description"), meta.get("twitter:description"),
                              meta.get("description"))
    canonical = soup.find("link", rel=lambda rel: rel is not None and "canonical" in _rels(rel))
    image_src = soup.find("link", rel=lambda rel: rel is not None and "image_src" in _rels(rel))
    return LinkPreview(
        title=truncate_text(title, TITLE_MAX),
        description=truncate_text(description, DESCRIPTION_MAX),
        image_url=_first_url(
            base,
            meta.get("og:image"), meta.get("og:image:url"), meta.get("og:image:secure_url"),
            meta.get("twitter:image"), meta.get("twitter:image:src"),
            image_src.get("href") if image_src else None,
        ),
        site_name=_first_text(meta.get("og:site_name")),
        canonical_url=_first_url(
            base, meta.get("og:url"), meta.get("twitter:url"), canonical.get("href") if canonical else None
        ),
        type=_first_text(meta.get("og:type")).lower(),
        twitter_card=_first_text(meta.get("twitter:card")).lower(),
    )


def fetch_preview(url: str) -> LinkPreview:
    """Fetch ``url`` through the SSRF-safe fetcher and parse its preview.

    Raises ``fetcher.FetchError`` (with a user-facing ``reason``) when the page cannot
    be fetched; a page that fetches but has no tags gives an empty preview instead.
    """
    result = fetcher.fetch(url)
    return parse_preview(result.body, base_url=result.url, charset=result.charset)


def fetch_image(url: str, *, max_bytes: int = 5 * 1024 * 1024) -> tuple[bytes, str]:
    """Download a preview image; return its bytes and its real content type.

    The type comes from the bytes, not the header: a server can label anything
    ``image/png``, and Chorus later serves these files from its own domain.
    """
    result = fetcher.fetch(url, max_bytes=max_bytes, accept=IMAGE_TYPES)
    real_type = sniff_image_type(result.body)
    if real_type is None:
        raise fetcher.BadContentType(
            f"The link says it is an image ({result.content_type}), but the file is not a JPEG, PNG, GIF "
            "or WebP image."
        )
    return result.body, real_type


def sniff_image_type(data: bytes) -> str | None:
    """The image type that ``data`` starts like, among the types Chorus accepts."""
    for signature, content_type in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# --- helpers ------------------------------------------------------------------------------


def _canonical_encoding(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("'\"")).name
    except LookupError:
        return None
    return _ENCODING_ALIASES.get(name, name)


def _decode(html: bytes, charset: str | None) -> str:
    """Decode like a browser: BOM, header charset, declared ``<meta>`` charset, then guess."""
    declared = EncodingDetector.find_declared_encoding(html, is_html=True)  # looks near the start only
    header = _canonical_encoding(charset)
    dammit = UnicodeDammit(
        html,
        known_definite_encodings=[header] if header else [],
        # UTF-8 validates itself, so trying it before statistical detection is safe and
        # spares short undeclared UTF-8 pages from being guessed as something else.
        user_encodings=[e for e in [_canonical_encoding(declared), "utf-8"] if e],
        is_html=True,
    )
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return html.decode("utf-8", errors="replace")


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    """The first value of each ``<meta property|name=... content=...>``, keys lower-cased.

    The first one wins because pages list their main image first (``og:image`` repeats).
    """
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        content = tag.get("content")
        if not isinstance(key, str) or not isinstance(content, str):
            continue
        key = key.strip().lower()
        if key and content.strip() and key not in found:
            found[key] = content
    return found


def _title_text(soup: BeautifulSoup) -> str:
    """The ``<title>`` text up to the first tag inside it.

    An unclosed ``<title>`` makes html.parser nest the rest of the page inside it;
    the text before the first tag is what the author meant as the title.
    """
    tag = soup.find("title")
    if tag is None:
        return ""
    parts = []
    for child in tag.children:
        if isinstance(child, Tag):
            break
        if type(child) is NavigableString:  # not a Comment or CData
            parts.append(str(child))
    return "".join(parts)


def _rels(value: str | list[str]) -> list[str]:
    words = value.split() if isinstance(value, str) else value
    return [w.lower() for w in words]


def _base_url(soup: BeautifulSoup, page_url: str) -> str:
    """The URL relative links resolve against: ``<base href>`` if valid, else the page."""
    base = soup.find("base", href=True)
    if base is not None:
        candidate = urljoin(page_url, str(base["href"]).strip())
        if _is_web_url(candidate):
            return candidate
    return page_url


def _clean(text: str | None) -> str:
    """Plain text on one line: some CMSs put (escaped) HTML inside meta content."""
    if not text:
        return ""
    if _TAG.search(text):
        return html_to_text(text)
    return " ".join(text.split())


def html_to_text(html: str) -> str:
    """Plain one-line text from an HTML fragment; block elements become word breaks.

    Spaces go only around block elements so that ``<b>AT&amp;T</b>, DHL`` reads
    "AT&T, DHL" and not "AT&T , DHL".
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before(" ")
        tag.insert_after(" ")
    return " ".join(soup.get_text().split())


def _first_text(*candidates: str | None) -> str:
    for candidate in candidates:
        text = _clean(candidate)
        if text:
            return text
    return ""


def _first_url(base: str, *candidates: str | None) -> str:
    """The first candidate that resolves to an absolute http(s) URL (no data:, javascript:)."""
    for candidate in candidates:
        if not candidate or not candidate.strip():
            continue
        url = urljoin(base, candidate.strip())
        if _is_web_url(url):
            return url
    return ""


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def truncate_text(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut, so a preview never ends mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"
