"""REST API (v1) for the employee side: feed, shares, connections.

Session authentication (the portal's login); one error format for every failure:
``{"error": {"code": "...", "message": "...", "field": "..."}}``. Writes go through the
same services as the portal, so validation is the same everywhere.
"""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from advocacy.selectors import accounts_for_user, shared_networks_by_item, shares_for_user
from advocacy.services.sharing import ShareError, ShareRequest, share_create
from content.selectors import content_visible_to, share_text_offered
from core.api import api_error as _error
from networks.registry import NETWORKS


class FeedItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="display_title")
    url = serializers.CharField()
    summary = serializers.CharField()
    image_url = serializers.CharField(source="display_image_url")
    content_type = serializers.CharField()
    campaign = serializers.CharField(source="campaign.name", default=None)
    topics = serializers.SerializerMethodField()
    networks = serializers.ListField(child=serializers.CharField())
    text_locked = serializers.BooleanField()
    suggested_text = serializers.SerializerMethodField()
    shared_on = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def get_topics(self, item) -> list[str]:
        return [t.name for t in item.topics.all()]

    def get_suggested_text(self, item) -> dict[str, str]:
        user = self.context["user"]
        return {network: share_text_offered(item, network, user) for network in item.networks}

    def get_shared_on(self, item) -> list[str]:
        return sorted(self.context["shared"].get(item.pk, set()))


class ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    network = serializers.CharField()
    status = serializers.CharField()
    text = serializers.CharField()
    final_text = serializers.CharField()
    tracked_url = serializers.CharField()
    scheduled_for = serializers.DateTimeField()
    posted_at = serializers.DateTimeField()
    remote_url = serializers.CharField()
    error_message = serializers.CharField()


class ShareCreateSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    networks = serializers.ListField(child=serializers.ChoiceField(choices=list(NETWORKS)), min_length=1)
    texts = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=10000), required=False)
    idempotency_key = serializers.CharField(max_length=64)
    scheduled_for = serializers.CharField(required=False, allow_blank=True)
    # Networks to share to even though this person shared the item there recently.
    share_again = serializers.ListField(
        child=serializers.ChoiceField(choices=list(NETWORKS)), required=False, default=list
    )

    def validate_scheduled_for(self, value: str) -> datetime | None:
        if not value:
            return None
        try:
            # Well-formed but impossible ("2026-13-40T10:00:00Z") raises ValueError; a date at
            # the edge of the calendar can overflow once moved to UTC.
            parsed = parse_datetime(value)
            if parsed is not None and parsed.tzinfo is not None:
                parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            raise serializers.ValidationError("This date or time does not exist; check the month, day and hour.") from None
        if parsed is None or parsed.tzinfo is None:
            raise serializers.ValidationError("Use an ISO 8601 date-time with a time zone offset.")
        return parsed


@api_view(["GET"])
def feed(request: Request) -> Response:
    items = content_visible_to(request.user, search=request.query_params.get("q") or None)
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(items, request)
    shared = shared_networks_by_item(request.user, [i.pk for i in page])
    data = FeedItemSerializer(page, many=True, context={"user": request.user, "shared": shared}).data
    return paginator.get_paginated_response(data)


@api_view(["GET", "POST"])
def shares(request: Request) -> Response:
    if request.method == "GET":
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(shares_for_user(request.user).order_by("-created_at"), request)
        return paginator.get_paginated_response(ShareSerializer(page, many=True).data)
    payload = ShareCreateSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    item = content_visible_to(request.user).filter(pk=data["item"]).first()
    if item is None:
        return _error("not_found", "This item is not available to you.", status.HTTP_404_NOT_FOUND, "item")
    try:
        created = share_create(user=request.user, item=item, request=ShareRequest(
            networks=data["networks"], texts=data.get("texts") or {},
            idempotency_key=data["idempotency_key"], scheduled_for=data.get("scheduled_for"),
            share_again=set(data["share_again"]),
        ))
    except ShareError as exc:
        # "already_shared": shared to that network recently; send it in share_again to post again.
        return _error(exc.code, str(exc), status.HTTP_400_BAD_REQUEST, exc.network or None)
    # The same idempotency key again answers with the shares it made (nothing new is posted).
    headers = {"Idempotent-Replayed": "true"} if created.replayed else None
    return Response(ShareSerializer(created, many=True).data, status=status.HTTP_201_CREATED, headers=headers)


@api_view(["GET"])
def connections(request: Request) -> Response:
    accounts = accounts_for_user(request.user)
    return Response([
        {"network": network, "status": account.status, "handle": account.handle,
         "expires_at": account.expires_at, "audience_size": account.audience_size}
        for network, account in sorted(accounts.items())
    ])
