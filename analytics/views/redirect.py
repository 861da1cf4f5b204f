"""The tracked-link redirect, ``SITE_URL/r/<code>`` → the item's URL with UTM tags.

Every request is recorded (a click, or a preview when it comes from a crawler, a HEAD
request or a prefetch) without waiting on slow work: see ``analytics.services.clicks``.
Recording never stands between the visitor and the article.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache

from advocacy.links import link_resolve
from analytics.services.clicks import click_record
from core.middleware import refuse_nul_bytes


@never_cache
@refuse_nul_bytes
def tracked_redirect(request: HttpRequest, code: str) -> HttpResponse:
    resolved = link_resolve(code)
    if resolved is None:
        raise Http404("Unknown link.")
    share_id, target = resolved
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    response["X-Robots-Tag"] = "noindex"
    click_record(request=request, share_id=share_id)
    return response
