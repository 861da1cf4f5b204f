"""My shares: share an item, list and follow my shares, cancel, retry, confirm.

Every write goes through the portal's services (``share_create``, ``share_cancel``,
``share_retry``, ``share_confirm``), so the rules and their messages are the portal's.
Another person's share is a 404.

No accidental second post: a create carries an idempotency key (the ``Idempotency-Key``
header, or the ``idempotency_key`` field). The same key again answers with the shares it
made — nothing new is posted — and ``Idempotent-Replayed: true``; the same key for another
item or other networks is refused (422). A *new* key for an item this person shared to the
same network recently is refused (``already_shared``) unless the network is in
``share_again``.
"""

from datetime import UTC, datetime

import django_filters
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from advocacy.apis.pagination import KeysetCursorPage
from advocacy.apis.serializers import ID_RANGE, ShareSerializer
from advocacy.models import Share, ShareStatus
from advocacy.selectors import share_for_user, shares_for_user
from advocacy.services.sharing import (
    ShareError,
    ShareRequest,
    share_cancel,
    share_confirm,
    share_create,
    share_retry,
)
from content.models import Network
from content.selectors import content_visible_to
from core.api import ApiError, ErrorSerializer

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY = 64


class ShareCreateSerializer(serializers.Serializer):
    item = serializers.IntegerField(**ID_RANGE, help_text="The item's id (from the feed).")
    networks = serializers.ListField(child=serializers.ChoiceField(choices=Network.choices), min_length=1)
    texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=10000), required=False,
        help_text="Your text per network; without one you share the suggested text. Ignored when the item's "
                  "text is locked.",
    )
    idempotency_key = serializers.CharField(
        max_length=MAX_KEY, required=False, allow_blank=True,
        help_text="Unique per share request, if not sent as the `Idempotency-Key` header.",
    )
    scheduled_for = serializers.CharField(required=False, allow_blank=True,
                                          help_text="Share later: an ISO 8601 date-time with an offset.")
    share_again = serializers.ListField(
        child=serializers.ChoiceField(choices=Network.choices), required=False, default=list,
        help_text="Networks to share to even though you shared this item there recently.",
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


def idempotency_key(request: Request, field: str) -> str:
    """The request's key: the header or the field (the same one if both are sent)."""
    header = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    field = (field or "").strip()
    if header and field and header != field:
        raise ApiError("invalid", "The Idempotency-Key header and the idempotency_key field differ: send one key.",
                       field="idempotency_key")
    key = header or field
    if not key:
        raise ApiError("invalid", "Send an idempotency key (the Idempotency-Key header or the idempotency_key "
                                  "field), new for each share request.", field="idempotency_key")
    if len(key) > MAX_KEY:
        raise ApiError("invalid", f"The idempotency key is {len(key)} characters long; the limit is {MAX_KEY}.",
                       field="idempotency_key")
    return key


class ShareFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ShareStatus.choices, help_text="Only these statuses (repeat the parameter for several).")
    network = django_filters.ChoiceFilter(choices=Network.choices, help_text="Only this network.")
    item = django_filters.NumberFilter(field_name="item_id", **ID_RANGE, help_text="Only shares of this item (its id).")

    class Meta:
        model = Share
        fields = ["status", "network", "item"]


class SharePage(KeysetCursorPage):
    page_size = 25


_SHARE = {
    "id": 17, "item": 42, "item_title": "How we cut cloud costs by 30%", "network": "linkedin", "status": "posted",
    "text": "Our team wrote up how we cut cloud costs.",
    "final_text": "Our team wrote up how we cut cloud costs. #employee\nhttps://chorus.example.com/r/aB3dE5gH7j",
    "tracked_url": "https://chorus.example.com/r/aB3dE5gH7j", "scheduled_for": None,
    "posted_at": "2025-11-24T09:01:12+00:00", "remote_url": "https://www.linkedin.com/feed/update/urn:li:share:1",
    "error_message": "", "error_code": "", "can_cancel": False, "can_retry": False, "needs_confirmation": False,
    "created_at": "2025-11-24T09:01:03+00:00", "updated_at": "2025-11-24T09:01:12+00:00",
}
_QUEUED = {**_SHARE, "status": "queued", "posted_at": None, "remote_url": "", "can_cancel": True,
           "updated_at": "2025-11-24T09:01:03+00:00"}


@extend_schema_view(
    get=extend_schema(
        summary="My shares",
        description="Your shares, newest first (`ordering`: `created_at`, `-created_at`, `id`, `-id`), filtered by "
                    "`status` (repeatable), `network` or `item`. Cursor pages.",
        examples=[OpenApiExample("A share in the list", response_only=True, status_codes=["200"], value=_SHARE)],
    ),
    post=extend_schema(
        summary="Share an item",
        description=(
            "Share an item of your feed to one or more networks, now or at `scheduled_for`. One share per network "
            "is recorded at once (status `queued` or `scheduled`) and posted in the background: follow it in "
            "`GET /shares/<id>/`. Send an idempotency key (`Idempotency-Key` header or `idempotency_key`): the "
            "same key again answers with the same shares and `Idempotent-Replayed: true`, and posts nothing. "
            "Refusals: `already_shared` (you shared it there recently: add the network to `share_again`), "
            "`share_refused` (not connected, text too long, blocked word...; `field` names the network), "
            "`idempotency_key_reused` (422: that key made shares of another item or networks)."
        ),
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                                     description="Unique per share request (or send `idempotency_key`).")],
        request=ShareCreateSerializer,
        # A plain array (one share per network), not a page: spelled out, or the schema would page it.
        responses={
            201: OpenApiResponse(
                response={"type": "array", "items": {"$ref": "#/components/schemas/Share"}},
                description="The shares, one per network (also on a replay, with `Idempotent-Replayed: true`).",
            ),
            422: OpenApiResponse(ErrorSerializer, description="The idempotency key made another request's shares."),
        },
        examples=[
            OpenApiExample("Share now", request_only=True, value={
                "item": 42, "networks": ["linkedin"], "texts": {"linkedin": "Our team wrote up how we cut cloud costs."},
                "idempotency_key": "6f1c9a0e-3f0e-4a52-9a55-2b7f1c2d9e11"}),
            OpenApiExample("Schedule", request_only=True, value={
                "item": 42, "networks": ["linkedin", "x"], "scheduled_for": "2025-11-25T08:30:00+01:00"}),
            OpenApiExample("Recorded", response_only=True, status_codes=["201"], value=[_QUEUED]),
        ],
    ),
)
class ShareListCreateView(generics.ListCreateAPIView):
    serializer_class = ShareSerializer
    pagination_class = SharePage
    filterset_class = ShareFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Share]:
        if getattr(self, "swagger_fake_view", False):  # the schema, made without a request
            return Share.objects.none()
        return shares_for_user(self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = ShareCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        key = idempotency_key(request, data.get("idempotency_key", ""))
        item = content_visible_to(request.user).filter(pk=data["item"]).first()
        if item is None:
            raise ApiError("not_found", "This item is not available to you.", http_status=404, field="item")
        try:
            created = share_create(user=request.user, item=item, request=ShareRequest(
                networks=data["networks"], texts=data.get("texts") or {}, idempotency_key=key,
                scheduled_for=data.get("scheduled_for"), share_again=set(data["share_again"]),
            ))
        except ShareError as exc:
            raise ApiError(exc.code, str(exc), field=exc.network or None) from None
        if created.replayed and (
            {s.item_id for s in created} != {item.pk} or {s.network for s in created} != set(data["networks"])
        ):
            raise ApiError("idempotency_key_reused", "This idempotency key was already used for another share "
                           "request; use a new key for a new request.", http_status=422, field="idempotency_key")
        headers = {"Idempotent-Replayed": "true"} if created.replayed else None
        return Response(ShareSerializer(created, many=True, context={"request": request}).data,
                        status=status.HTTP_201_CREATED, headers=headers)


class _OwnShare(generics.GenericAPIView):
    serializer_class = ShareSerializer

    def get_object(self) -> Share:
        share = share_for_user(self.request.user, self.kwargs["share_id"])
        if share is None:
            raise ApiError("not_found", "No such share.", http_status=404)
        return share

    def answer(self, share: Share) -> Response:
        share.refresh_from_db()
        return Response(self.get_serializer(share).data)


@extend_schema(
    summary="One of my shares",
    description="A share of yours with its status; `error_message` says why it failed or what to check.",
    examples=[OpenApiExample("Posted", response_only=True, status_codes=["200"], value=_SHARE)],
)
class ShareDetailView(_OwnShare, generics.RetrieveAPIView):
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(self.get_serializer(self.get_object()).data)


@extend_schema(
    summary="Cancel a share",
    description="Stop a scheduled or queued share that has not been attempted yet (`can_cancel`); nothing is "
                "posted. `409 not_cancellable` once it is under way (or over).",
    request=None,
    responses={200: ShareSerializer, 409: OpenApiResponse(ErrorSerializer, description="Under way, or over.")},
    examples=[OpenApiExample("Cancelled", response_only=True, status_codes=["200"],
                             value={**_QUEUED, "status": "cancelled", "can_cancel": False})],
)
class ShareCancelView(_OwnShare):
    def post(self, request: Request, share_id: int) -> Response:
        share = self.get_object()
        if not share_cancel(user=request.user, share=share):
            raise ApiError("not_cancellable", "Too late to cancel: this share is already being posted.",
                           http_status=409)
        return self.answer(share)


@extend_schema(
    summary="Retry a failed share",
    description="Queue a failed share again with a fresh set of attempts (`can_retry`). `409 not_retryable` "
                "for any other status; a share that needs confirming goes through `.../confirm/`.",
    request=None,
    responses={200: ShareSerializer, 409: OpenApiResponse(ErrorSerializer, description="Not a failed share.")},
    examples=[OpenApiExample("Queued again", response_only=True, status_codes=["200"], value=_QUEUED)],
)
class ShareRetryView(_OwnShare):
    def post(self, request: Request, share_id: int) -> Response:
        share = self.get_object()
        if not share_retry(user=request.user, share=share):
            raise ApiError("not_retryable", "This share can't be retried (it's no longer failed).", http_status=409)
        return self.answer(share)


class _StrictBoolean(serializers.BooleanField):
    # A form post without the field must not read as "false" (that would post again).
    default_empty_html = serializers.empty


class ShareConfirmSerializer(serializers.Serializer):
    landed = _StrictBoolean(help_text="true: the post is on your profile (it is marked posted). false: it is not "
                                      "(it is posted again).")


@extend_schema(
    summary="Confirm an unconfirmed share",
    description=(
        "When the network did not answer whether it posted (`needs_confirmation`), tell us: `landed: true` marks the "
        "share posted, `landed: false` posts it again. `409 not_unconfirmed` when it no longer needs confirming."
    ),
    request=ShareConfirmSerializer,
    responses={200: ShareSerializer, 409: OpenApiResponse(ErrorSerializer, description="Nothing to confirm.")},
    examples=[
        OpenApiExample("It is on my profile", request_only=True, value={"landed": True}),
        OpenApiExample("Marked posted", response_only=True, status_codes=["200"], value=_SHARE),
    ],
)
class ShareConfirmView(_OwnShare):
    def post(self, request: Request, share_id: int) -> Response:
        share = self.get_object()
        payload = ShareConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not share_confirm(user=request.user, share=share, landed=payload.validated_data["landed"]):
            raise ApiError("not_unconfirmed", "This share no longer needs confirming.", http_status=409)
        return self.answer(share)
