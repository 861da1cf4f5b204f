"""Tracked short links: every share gets ``SITE_URL/r/<code>`` (``Share.link_code``), which
redirects to the item's URL with UTM tags. The redirect view, which also records the
click, is ``analytics.views.redirect``."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from advocacy.models import Share


def tracked_target(*, url: str, network: str, campaign: str, code: str) -> str:
    """The item URL with UTM tags added; the URL's own query parameters are kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [
        ("utm_source", network),
        ("utm_medium", "employee_advocacy"),
        ("utm_campaign", campaign or "chorus"),
        ("utm_content", code),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address with a host: the only kind ``/r/`` follows."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(
        ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url
    )


def link_resolve(code: str) -> tuple[int, str] | None:
    """``(share id, target URL with UTM tags)`` for a link code, or None: one indexed query.

    No open redirect: the target is always the stored item URL, never a parameter.
    """
    share = (
        Share.objects.filter(link_code=code)
        .select_related("item__campaign")
        .only("id", "network", "link_code", "item__url", "item__campaign__utm_campaign")
        .first()
    )
    if share is None or not share.item.url or not is_web_url(share.item.url):
        return None  # never send a visitor to ftp:, javascript:, data: ... (stored before validation)
    campaign = share.item.campaign.utm_campaign if share.item.campaign else ""
    return share.pk, tracked_target(url=share.item.url, network=share.network, campaign=campaign, code=share.link_code)
