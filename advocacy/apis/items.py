"""The feed and one item, as the portal shows them to the person asking.

``GET /feed/``: the portal's feed (``content_visible_to``: published, unexpired, targeted to
this person), with its filters and its order — pinned, then the topics this person follows, then priority,
then newest — in
cursor pages. The answer carries an ``ETag``; ``If-None-Match`` with it answers ``304``
while nothing on the page changed for this person.

``GET /items/<id>/``: what the share dialog shows for one item: every network it may go to
with this person's suggested text (and the other variants), their connection, a recent share
of theirs, and the text rules (limit, disclosure, tracked link) the dialog counts with.
"""

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from advocacy.apis.pagination import KeysetCursorPage
from advocacy.apis.serializers import (
    ID_RANGE,
    FeedItemSerializer,
    ItemDetailSerializer,
    feed_item_common,
    feed_item_data,
    feed_item_digest,
)
from advocacy.feed_cache import FeedOrder, cached_items, cached_order, remember_items
from advocacy.selectors import (
    accounts_for_user,
    feed_for_user,
    feed_items_by_id,
    feed_light,
    feed_order,
    feed_person,
    feed_prepare,
    feed_targeting_key,
    recent_shares_by_network,
    shared_networks_by_item,
)
from content.models import ComplianceSettings, ContentItem, ContentType, Network
from content.selectors import content_visible_to
from core.api import ApiError, etag_of, etag_response

# Which item flag lets it go to each network (ContentItem.networks reads the same flags).
_ALLOWED_ON = {Network.LINKEDIN: "allow_linkedin", Network.X: "allow_x"}


class FeedQuerySerializer(serializers.Serializer):
    """The portal's feed filters (advocacy.views.feed), plus the network."""

    q = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True,
                              help_text="Search titles, summaries and suggested texts (first 100 characters).")
    campaign = serializers.IntegerField(required=False, **ID_RANGE, help_text="Only this campaign (its id).")
    topic = serializers.IntegerField(required=False, **ID_RANGE, help_text="Only this topic (its id).")
    type = serializers.ChoiceField(choices=ContentType.choices, required=False, help_text="Only this content type.")
    network = serializers.ChoiceField(choices=Network.choices, required=False,
                                      help_text="Only items that may be shared on this network.")


def feed_items(user: User, *, q: str = "", campaign: int | None = None, topic: int | None = None,
               type: str | None = None, network: str | None = None,  # noqa: A002
               follows: frozenset[int] | None = None) -> QuerySet[ContentItem]:
    items = feed_for_user(user, topic=topic, campaign=campaign, content_type=type or None, search=q or None,
                          follows=follows)
    if network:
        items = items.filter(**{_ALLOWED_ON[network]: True})
    # The cursor needs a non-null date; published items always have one.
    return items.annotate(feed_published_at=Coalesce("published_at", "created_at"))


_FILTERS = frozenset(FeedQuerySerializer().fields)


def _feed_params(request: Request) -> dict:
    """The feed's validated filters. Without any (most requests: the app polls the plain
    feed) no serializer is run; it is a tenth of an answered 304's time."""
    if _FILTERS.isdisjoint(request.query_params):
        return {}
    params = FeedQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class FeedPage(KeysetCursorPage):
    ordering = ("-pinned", "-followed", "-priority", "-feed_published_at", "-pk")
    page_size = 20


API_COLUMNS = tuple(term.lstrip("-") for term in FeedPage.ordering)


def _order(token: int | None, items: QuerySet[ContentItem], *, distinct: bool) -> FeedOrder:
    """Make a feed's order; keep the items it loaded on the way."""
    order, loaded = feed_order(items, API_COLUMNS, distinct=distinct)
    remember_items(token, loaded)
    return order


ETAG_HEADERS = [OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="The `ETag` of an answer you hold: `304 Not Modified` (no body) while it is still current.",
)]
NOT_MODIFIED = OpenApiResponse(description="Not modified: the answer whose `ETag` you sent is still current.")

_ITEM = {
    "id": 42, "title": "How we cut cloud costs by 30%", "url": "https://blog.example.com/cloud-costs",
    "summary": "What we learned moving 200 services.", "image_url": "https://chorus.example.com/media/content/2025/11/a.png",
    "domain": "blog.example.com", "content_type": "thought_leadership",
    "campaign": {"id": 3, "name": "Cloud month", "slug": "cloud-month"},
    "topics": [{"id": 7, "name": "Cloud", "slug": "cloud"}], "hashtags": "#cloud",
    "networks": ["linkedin", "x"], "text_locked": False, "pinned": True, "priority": 0,
    "suggested_text": {"linkedin": "Our team wrote up how we cut cloud costs.", "x": "How we cut cloud costs by 30%"},
    "shared_on": ["linkedin"],
    "published_at": "2025-11-24T09:00:00+00:00", "expires_at": None,
}


@extend_schema(
    summary="My feed",
    description=(
        "The content marketing asks you to share, as your portal feed shows it: published, "
        "unexpired and targeted to you; pinned first, then items of the topics you follow, then by priority, newest first. "
        "`suggested_text` is the text you are offered per network; `shared_on` the networks you "
        "shared each item to (or are sharing it to). Cursor pages (`next`/`previous`). The answer "
        "has an `ETag`: send it back in `If-None-Match` to get `304` while nothing on the page "
        "changed for you (a new, changed or withdrawn item, your shares, your suggested texts)."
    ),
    parameters=[FeedQuerySerializer, *ETAG_HEADERS],
    responses={200: FeedItemSerializer(many=True), 304: NOT_MODIFIED},
    # One item: the schema shows it in a page.
    examples=[OpenApiExample("An item of the feed", response_only=True, status_codes=["200"], value=_ITEM)],
)
class FeedView(generics.ListAPIView):
    serializer_class = FeedItemSerializer
    pagination_class = FeedPage
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[ContentItem]:
        return feed_items(self.request.user, **_feed_params(self.request))

    def list(self, request: Request, *args, **kwargs) -> Response:
        params = _feed_params(request)
        user = request.user
        person = feed_person(user)  # one query: the feed's version, followed topics, shares
        # The queryset is built only when needed (building it is most of a cached page's cost).
        items = SimpleLazyObject(lambda: feed_items(user, follows=person.follows, **params))
        # The order is the same for everyone of this targeting, followed topics and filters:
        # made once per process and feed version (advocacy.feed_cache); pages past its
        # depth come from the database.
        key = ("api", *feed_targeting_key(user, person), tuple(sorted(params.items())))
        order = cached_order(person.token, key, timezone.now(),
                             lambda: _order(person.token, items, distinct=bool(params.get("q"))))
        rows = self.paginator.paginate_sorted(order.rows, request, self, complete=order.complete)
        if rows is None:
            rows = self.paginator.paginate_queryset(feed_light(items), request, self)
        links = (self.paginator.get_next_link(), self.paginator.get_previous_link())
        ids = [row.pk for row in rows]
        entries = cached_items(person.token, ids, feed_items_by_id, feed_prepare)
        page = [(entries[pk], sorted(person.shared.get(pk, ()))) for pk in ids if pk in entries]
        commons = [entry.part("common", feed_item_common) for entry, _ in page]
        # The tag names everything the answer is made of before any of it is made: each
        # item's digest (its common fields and every suggested text: whoever changes them,
        # by whatever path, gives a new digest), this person (their variant of the texts)
        # and their shares, the address (absolute URLs) and the links. A 304 costs the one
        # query above; an item changed elsewhere (another page) keeps the tag.
        etag = etag_of(
            "feed/2", user.pk, request.build_absolute_uri("/"), links,
            [(entry.part("digest", lambda item, c=common: feed_item_digest(item, c)), shared_on)
             for (entry, shared_on), common in zip(page, commons, strict=True)],
        )

        def answer() -> dict:
            results = [feed_item_data(common, entry.item, request=request, shared_on=shared_on)
                       for (entry, shared_on), common in zip(page, commons, strict=True)]
            return self.paginator.get_paginated_response(results).data

        return etag_response(request, answer, etag=etag)


_DETAIL = {
    **_ITEM,
    "preview": {"title": "How we cut cloud costs by 30%", "description": "What we learned moving 200 services.",
                "image_url": "https://blog.example.com/og.png", "site_name": "Example Blog", "status": "ok"},
    "disclosure": "#employee",
    "link_example": "https://chorus.example.com/r/XXXXXXXXXX",
    "share_targets": [{
        "network": "linkedin", "name": "LinkedIn", "connected": True, "account_handle": "ann-lee",
        "account_status": "active", "problem": "", "suggested_text": "Our team wrote up how we cut cloud costs.",
        "variants": ["Our team wrote up how we cut cloud costs.", "A good read on cloud costs."],
        "limit": 3000, "link_length": 40,
        "composed_example": "Our team wrote up how we cut cloud costs. #employee\nhttps://chorus.example.com/r/XXXXXXXXXX",
        "length": 91, "remaining": 2909,
        "recent_share": {"id": 17, "status": "posted", "message": "You shared this on LinkedIn 2 hours ago",
                         "remote_url": "https://www.linkedin.com/feed/update/urn:li:share:1"},
    }],
}


@extend_schema(
    summary="One item, as the share dialog shows it",
    description=(
        "An item of your feed (`404` if it is not, or no longer, for you) with everything the "
        "share dialog uses: per network (`share_targets`) your suggested text and the other "
        "variants, your connection, a recent share of yours (sharing there again needs "
        "`share_again`), the length limit and how long the post with the disclosure and the "
        "tracked link would be. Also the link preview, campaign and topics. Has an `ETag` "
        "like the feed."
    ),
    parameters=ETAG_HEADERS,
    responses={200: ItemDetailSerializer, 304: NOT_MODIFIED},
    examples=[OpenApiExample("An item", response_only=True, status_codes=["200"], value=_DETAIL)],
)
class ItemDetailView(generics.RetrieveAPIView):
    serializer_class = ItemDetailSerializer
    lookup_url_kwarg = "item_id"

    def get_object(self) -> ContentItem:
        item = content_visible_to(self.request.user).filter(pk=self.kwargs["item_id"]).first()
        if item is None:
            raise ApiError("not_found", "This item is not available to you.", http_status=404)
        return item

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        user = request.user
        context = {
            **self.get_serializer_context(),
            "shared": shared_networks_by_item(user, [item.pk]),
            "accounts": accounts_for_user(user),
            "recent": recent_shares_by_network(user, item.pk, networks=list(item.networks)),
            "disclosure": item.disclosure or ComplianceSettings.load().default_disclosure,
            # The share dialog counts with a link of the real one's length.
            "link_example": f"{settings.SITE_URL}/r/XXXXXXXXXX" if item.url else "",
        }
        return etag_response(request, self.get_serializer(item, context=context).data)
