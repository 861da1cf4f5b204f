"""Links as people type them, and as readers would compare them.

``https://Example.com/post/?utm_source=x``, ``example.com/post`` and
``http://www.example.com/post#top`` are one article: :func:`link_match_key` gives them one
key (the feed importer's ``canonicalize_url`` — host case, default port, fragment,
``utm_*`` and click ids, parameter order, trailing slash — plus no scheme and no ``www.``).
The key is for comparing only; the link stored and fetched is the one typed (with
``https://`` added when it had no scheme: ``content.text_rules.link_with_scheme``).
"""

from urllib.parse import urlsplit

from django.db.models import Q

from content.feeds import canonicalize_url
from content.models import ContentItem, ContentStatus
from content.text_rules import link_with_scheme

# How many of a site's items are compared in Python at most (a suggestion of a link on a
# site with more items than this in the library may miss an older duplicate).
MATCH_CANDIDATES = 2000


def link_match_key(url: str) -> str:
    """``url`` reduced to what identifies the page: "example.com/post?id=3"."""
    canon = canonicalize_url(link_with_scheme(url))
    parts = urlsplit(canon)
    host = parts.netloc.removeprefix("www.")
    key = host + (parts.path if parts.path != "/" else "")
    return f"{key}?{parts.query}" if parts.query else key


def library_item_for_link(url: str) -> ContentItem | None:
    """The newest library item (not archived) whose link, or the page's canonical link, is
    ``url`` by :func:`link_match_key`; None if there is none."""
    key = link_match_key(url)
    host = (urlsplit(link_with_scheme(url)).hostname or "").removeprefix("www.")
    if not host:
        return None
    candidates = (
        ContentItem.objects.exclude(status=ContentStatus.ARCHIVED)
        .filter(Q(url__icontains=host) | Q(canonical_url__icontains=host))
        .order_by("-created_at", "-pk")
        .only("pk", "url", "canonical_url", "title", "status")[:MATCH_CANDIDATES]
    )
    for item in candidates:
        if any(link and link_match_key(link) == key for link in (item.url, item.canonical_url)):
            return item
    return None
