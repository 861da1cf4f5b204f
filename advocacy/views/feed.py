"""The employee feed: what marketing would love you to share — pinned first, then the topics you
follow, then priority and newest (``advocacy.selectors.FEED_ORDER``)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from advocacy.selectors import accounts_for_user, feed_for_user, shared_networks_by_item
from content.models import Campaign, ContentType, Topic
from core.middleware import refuse_nul_bytes
from networks import display_name

PAGE_SIZE = 12


def _int(value: str | None) -> int | None:
    """A filter's id, or None (no filter) for anything that cannot be an id."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    # Beyond a 64-bit column, SQLite raises OverflowError (a 500 before this).
    return number if number is not None and 0 < number < 2**63 else None


@never_cache  # the "LinkedIn ✓" pills must be current when the employee comes Back from sharing
@login_required
@refuse_nul_bytes
def feed(request: HttpRequest) -> HttpResponse:
    topic = _int(request.GET.get("topic"))
    campaign = _int(request.GET.get("campaign"))
    ctype = request.GET.get("type") or None
    if ctype not in ContentType.values:
        ctype = None
    search = (request.GET.get("q") or "").strip()[:100]
    items = feed_for_user(request.user, topic=topic, campaign=campaign, content_type=ctype, search=search)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    shared = shared_networks_by_item(request.user, [i.pk for i in page.object_list])
    for item in page.object_list:
        item.shared_on = shared.get(item.pk, set())
        item.shared_on_names = [display_name(n) for n in item.networks if n in item.shared_on]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "advocacy/feed.html", {
        "page": page,
        "accounts": accounts_for_user(request.user),
        "topics": Topic.objects.all(),
        "campaigns": Campaign.objects.filter(status=Campaign.Status.ACTIVE),
        "content_types": ContentType.choices,
        "filters": {"topic": topic, "campaign": campaign, "type": ctype, "q": search},
        "querystring": query.urlencode(),
    })
