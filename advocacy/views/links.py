"""Tracked short links: SITE_URL/r/<code> → the item's URL with UTM tags.

Every request is recorded for analytics (a click, or a preview when it comes from a
crawler, a HEAD request or a prefetch) without waiting on slow work: see
``advocacy.analytics.services.clicks``. Recording never stands between the visitor and
the article.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache

from advocacy.analytics.services.clicks import click_record
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


@never_cache
def tracked_redirect(request: HttpRequest, code: str) -> HttpResponse:
    # No open redirect: the target is always the stored item URL, never a parameter.
    share = (
        Share.objects.filter(link_code=code)
        .select_related("item__campaign")
        .only("id", "network", "link_code", "item__url", "item__campaign__utm_campaign")
        .first()
    )
    if share is None or not share.item.url:
        raise Http404("Unknown link.")
    campaign = share.item.campaign.utm_campaign if share.item.campaign else ""
    response = HttpResponseRedirect(
        tracked_target(url=share.item.url, network=share.network, campaign=campaign, code=share.link_code)
    )
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    response["X-Robots-Tag"] = "noindex"
    click_record(request=request, share_id=share.pk)
    return response
