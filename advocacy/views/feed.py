"""The employee feed: what marketing would love you to share — pinned first, then the topics you
follow, then priority and newest (``advocacy.selectors.FEED_ORDER``).

One query whatever the page holds: this person's feed state (``feed_person``: the feed's
version, followed topics, any connection, their shares). The order
of the feed (per targeting, followed topics and filters, with its length: no COUNT), the
items, their rendered cards and the filters' topics and campaigns come from
``advocacy.feed_cache``: made once per process and feed version.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import timesince_filter
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.views.decorators.cache import never_cache

from advocacy.feed_cache import FeedOrder, cached_items, cached_order, cached_value, remember_items
from advocacy.middleware import checks_policy_itself, to_policy
from advocacy.selectors import (
    FEED_ORDER,
    feed_for_user,
    feed_items_by_id,
    feed_light,
    feed_order,
    feed_person,
    feed_prepare,
    feed_targeting_key,
)
from advocacy.services.onboarding import policy_id_to_accept
from content.models import Campaign, ContentItem, ContentType, Topic
from core.middleware import refuse_nul_bytes
from networks import display_name

PAGE_SIZE = 12
# A page number whose offset no database column could hold is past the end, like any other.
_MAX_PAGE = 2**40


def _int(value: str | None) -> int | None:
    """A filter's id, or None (no filter) for anything that cannot be an id."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    # Beyond a 64-bit column, SQLite raises OverflowError (a 500 before this).
    return number if number is not None and 0 < number < 2**63 else None


def _page_number(value: str | None) -> int:
    """``Paginator.get_page``'s reading of ``?page=``: not a number is the first page; 0 or
    less (and, found out later, past the end) is the last page, said here as 0."""
    try:
        number = int(value) if value is not None else 1
    except (TypeError, ValueError):
        return 1
    return number if 0 < number <= _MAX_PAGE else 0


@dataclass(frozen=True)
class FeedCard:
    """One item of the page: the item as everyone sees it (shared between requests: read
    only), this person's shares of it and the card's HTML."""

    item: ContentItem
    shared_on: set[str]
    html: SafeString

    def __getattr__(self, name: str):  # the item's own fields and properties (title, pk, ...)
        if name == "item":  # not set yet (copying): no recursion
            raise AttributeError(name)
        return getattr(self.item, name)


# Where the card template leaves room for each person's part. NUL cannot be in content
# (refused at the door, and no PostgreSQL text holds it) nor is it escaped.
_MARK = "\x00{}\x00"
_MARKS = {name: mark_safe(_MARK.format(name)) for name in ("when", "until", "pills")}  # noqa: S308
_SPLIT = re.compile("\x00(when|until|pills)\x00")


def _card_segments(item: ContentItem) -> list[str]:
    """The card rendered once for everyone, cut where each person's parts go: text, name,
    text, name, ..., text."""
    html = render_to_string("advocacy/_feed_card.html", {
        "item": item, "share_url": reverse("share_dialog", args=[item.pk]), **_MARKS})
    return _SPLIT.split(html)


def _card_html(segments: list[str], item: ContentItem, shared_on: set[str]) -> SafeString:
    """The card for this person: when it was published (``timesince``) and until when it
    runs, in their time zone, and the networks they shared it to."""
    personal = {
        "when": _since(item.published_at),
        # As ``{{ item.expires_at|date:"j M" }}`` would: in the time zone of the request.
        "until": date_filter(template_localtime(item.expires_at), "j M") if item.expires_at else "",
        "pills": format_html_join("", '<span class="pill ok" title="You shared this">{} ✓</span>',
                                  ((display_name(n),) for n in item.networks if n in shared_on)),
    }
    out = []
    for index, segment in enumerate(segments):
        out.append(conditional_escape(personal[segment]) if index % 2 else segment)
    return mark_safe("".join(out))  # noqa: S308 (the template's output and escaped values)


def _since(moment: datetime | None) -> str:
    """``{{ moment|timesince }}`` as of the start of the current minute (what it shows moves
    by the minute at most): worked out once per process, minute and language, not for every
    card of every page."""
    if moment is None:
        return ""
    return _since_at(moment, int(timezone.now().timestamp() // 60), translation.get_language())


@lru_cache(maxsize=4096)
def _since_at(moment: datetime, minute: int, language: str | None) -> str:
    return timesince_filter(moment, datetime.fromtimestamp(minute * 60, tz=UTC))


def _options(choices: list[tuple], selected: object) -> SafeString:
    """A filter's ``<option>`` list (after its "All ..." option), ``selected`` marked."""
    return format_html_join("", '<option value="{}" {}>{}</option>',
                            ((value, "selected" if value == selected else "", label) for value, label in choices))


# The portal's order as columns (``FEED_ORDER``, ending with the id).
PORTAL_COLUMNS = tuple(term.lstrip("-") for term in FEED_ORDER)


def _order(token: int | None, items, columns: tuple[str, ...], *, distinct: bool) -> FeedOrder:
    """Make a feed's order; keep the items it loaded on the way."""
    order, loaded = feed_order(items, columns, distinct=distinct)
    remember_items(token, loaded)
    return order


def _page_ids(items, order: FeedOrder, requested: int) -> tuple[list[int], int]:
    """The ids on the page ``Paginator.get_page`` would choose, and its number: from the
    cached order, or (past its depth) one query."""
    last = max(1, -(-order.total // PAGE_SIZE))
    number = requested if 1 <= requested <= last else last
    start = (number - 1) * PAGE_SIZE
    if order.complete or start + PAGE_SIZE <= len(order.rows):
        return [row.pk for row in order.rows[start: start + PAGE_SIZE]], number
    return list(feed_light(items).values_list("pk", flat=True)[start: start + PAGE_SIZE]), number


@never_cache  # the "LinkedIn ✓" pills must be current when the employee comes Back from sharing
@login_required
@checks_policy_itself
@refuse_nul_bytes
def feed(request: HttpRequest) -> HttpResponse:
    topic = _int(request.GET.get("topic"))
    campaign = _int(request.GET.get("campaign"))
    ctype = request.GET.get("type") or None
    if ctype not in ContentType.values:
        ctype = None
    search = (request.GET.get("q") or "").strip()[:100]
    user = request.user
    # One query: the version, followed topics, any connection, shares, the policy in force
    # (advocacy.middleware leaves this view its check) and the counts other apps ride along
    # (the nav badge's unread count: request.person_extras).
    person = feed_person(user, extras=True, policy=True)
    if policy_id_to_accept(user, person.policy_id, session=request.session):
        return to_policy(request)
    request.person_extras = person.extras
    # The queryset is built only when needed (building it is most of a cached page's cost).
    items = SimpleLazyObject(lambda: feed_for_user(user, topic=topic, campaign=campaign, content_type=ctype,
                                                   search=search, follows=person.follows))
    # The same for everyone of this targeting, followed topics and filters: made once per
    # process and feed version (advocacy.feed_cache).
    key = ("portal", *feed_targeting_key(user, person), topic, campaign, ctype, search)
    order = cached_order(person.token, key, timezone.now(),
                         lambda: _order(person.token, items, PORTAL_COLUMNS, distinct=bool(search)))
    ids, number = _page_ids(items, order, _page_number(request.GET.get("page")))
    entries = cached_items(person.token, ids, feed_items_by_id, feed_prepare)
    cards = []
    for pk in ids:
        entry = entries.get(pk)
        if entry is None:  # gone between the two queries
            continue
        shared_on = person.shared.get(pk, set())
        segments = entry.part("card", _card_segments)
        cards.append(FeedCard(item=entry.item, shared_on=shared_on, html=_card_html(segments, entry.item, shared_on)))
    paginator = Paginator((), PAGE_SIZE)  # its count and pages only: the rows are the cards
    paginator.count = order.total  # known from the order: no COUNT(*) (a cached_property)
    page = Page(cards, number, paginator)
    topics = cached_value(person.token, "topics", lambda: [(t.pk, t.name) for t in Topic.objects.all()])
    campaigns = cached_value(person.token, "campaigns", lambda: [
        (c.pk, c.name) for c in Campaign.objects.filter(status=Campaign.Status.ACTIVE)])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "advocacy/feed.html", {
        "page": page,
        "has_account": person.has_account,
        "topic_options": cached_value(person.token, ("topic options", topic), lambda: _options(topics, topic)),
        "campaign_options": cached_value(person.token, ("campaign options", campaign),
                                         lambda: _options(campaigns, campaign)),
        "type_options": _options(ContentType.choices, ctype),
        "filters": {"topic": topic, "campaign": campaign, "type": ctype, "q": search},
        "querystring": query.urlencode(),
    })
