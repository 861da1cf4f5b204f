"""The tracked-link redirect, ``SITE_URL/r/<code>`` → the item's URL with UTM tags.

Every request is recorded (a click, or a preview when it comes from a crawler, a HEAD
request or a prefetch) without waiting on slow work, and a link followed before is
answered without the database: see ``analytics.services.clicks.click_follow``.
Recording never stands between the visitor and the article.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache

from analytics.services.clicks import click_follow
from core.middleware import refuse_nul_bytes


@never_cache
@refuse_nul_bytes
def tracked_redirect(request: HttpRequest, code: str) -> HttpResponse:
    target = click_follow(request=request, code=code)
    if target is None:
        raise Http404("Unknown link.")
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    response["X-Robots-Tag"] = "noindex"
    return response
