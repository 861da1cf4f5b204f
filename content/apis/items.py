"""Content items (staff API): ``/api/v1/content/items/``.

Exactly the admin's permissions: reading needs ``content.view_contentitem``, creating
``add``, editing ``change``, deleting ``delete`` (and only what was never published or
shared); the workflow actions are in :mod:`content.apis.workflow`. A Curator's edit of an
approved, scheduled or published item is a pending revision (a 202), as in the admin.
"""

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from content.apis.base import MODEL_PERMISSIONS, StaffViewSet, perms_required
from content.apis.editing import Edited, item_create, item_update
from content.apis.item_serializers import ContentItemSerializer, ContentItemWriteSerializer
from content.apis.revisions import REVISION_DETAIL, RevisionDetailSerializer
from content.apis.workflow import ITEM_EXAMPLE, TAG, WorkflowActions
from content.models import (
    Campaign,
    ContentItem,
    ContentRevision,
    ContentStatus,
    ContentType,
    Network,
    RevisionStatus,
    ShareText,
    Topic,
)
from content.services.items import content_deletable
from core.api import ApiError, ErrorSerializer

_WRITE_EXAMPLE = {
    "title": "Our 2026 security report", "url": "https://www.example.com/reports/security-2026",
    "content_type": "thought_leadership", "topics": [2], "campaign": 5,
    "texts": [{"network": "linkedin", "text": "Our new report is out."},
              {"network": "x", "text": "New: the 2026 security report"}],
}
_EDIT_RULES = (
    "The admin's rules apply (the same form): an http(s) link, expiry after publication, at least one network, "
    "targeting everyone or some teams, locations or languages, suggested texts that fit their network with the "
    "disclosure and tracked link, no blocked word. Bad input is a 400 naming the field, and nothing changes. "
    "A change that reaches beyond the item (links already posted, the approved text lock, disclosure or "
    "networks) is for Approvers only, and needs `confirm_consequences: true`: without it, a 409 "
    "`confirmation_required` lists what it would do."
)


def items_queryset() -> QuerySet[ContentItem]:
    """Every item with what the serializer shows, in a constant number of queries."""
    pending = ContentRevision.objects.filter(item=OuterRef("pk"), status=RevisionStatus.PENDING).values("pk")[:1]
    return ContentItem.objects.annotate(pending_revision_id=Subquery(pending)).prefetch_related(
        "topics", "target_teams",
        Prefetch("share_texts", queryset=ShareText.objects.order_by("network", "position", "pk")),
    )


class ContentItemFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=ContentStatus.choices,
                                          help_text="Only these statuses (repeat it for several).")
    campaign = filters.ModelChoiceFilter(queryset=Campaign.objects.all(), help_text="Only this campaign (its id).")
    topic = filters.ModelChoiceFilter(field_name="topics", queryset=Topic.objects.all(),
                                      help_text="Only items with this topic (its id).")
    network = filters.ChoiceFilter(choices=Network.choices, method="filter_network",
                                   help_text="Only items that may be shared there.")
    content_type = filters.ChoiceFilter(choices=ContentType.choices)
    pinned = filters.BooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=100,
                                help_text="In the title, link, summary, preview title and suggested texts.")

    class Meta:
        model = ContentItem
        fields = ["status", "campaign", "topic", "network", "content_type", "pinned", "search"]

    def filter_network(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"allow_{value}": True})

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        term = value.strip()
        texts = ShareText.objects.filter(item=OuterRef("pk"), text__icontains=term)
        return queryset.filter(
            Q(title__icontains=term) | Q(url__icontains=term) | Q(summary__icontains=term)
            | Q(preview_title__icontains=term) | Exists(texts)
        )


def _revision_answer(edited: Edited, context: dict[str, Any]) -> Response:
    """A Curator's edit of a live item: 202 and the pending revision (or, if the edit changed
    nothing, 200 and the live item)."""
    if edited.revision is None:
        return Response(ContentItemSerializer(items_queryset().get(pk=edited.item.pk), context=context).data)
    return Response(RevisionDetailSerializer(edited.revision, context=context).data, status=status.HTTP_202_ACCEPTED)


_UPDATE_DESCRIPTION = (
    "Edit an item. On a draft, an item in review, or for an Approver, the change is made (200, the item). A "
    "Curator's edit of an approved, scheduled or published item waits for an Approver instead: the answer is a "
    "202 with the pending revision (adding to one already pending) and the live item — what the feed, emails "
    "and tracked links show — does not change until an Approver approves it "
    "(`POST /api/v1/content/revisions/<id>/approve/`). `texts`, when sent, is the whole list of suggested "
    "texts (give an existing text's `id` to keep it). " + _EDIT_RULES + " Needs `content.change_contentitem`."
)
_ANSWERS = {200: ContentItemSerializer, 202: RevisionDetailSerializer, 409: ErrorSerializer}
CONFIRM_EXAMPLE = {"error": {
    "code": "confirmation_required",
    "message": "This change reaches beyond the item: 12 posted links on employees' profiles will now point to "
               "https://www.example.com/reports/security-2026-v2 instead of "
               "https://www.example.com/reports/security-2026. Send it again with \"confirm_consequences\": true "
               "to make it.",
    "field": "confirm_consequences"}}
_ANSWER_EXAMPLES = [
    OpenApiExample("Edited", response_only=True, status_codes=["200"], value=ITEM_EXAMPLE),
    OpenApiExample("Waiting for an Approver", response_only=True, status_codes=["202"], value=REVISION_DETAIL),
    OpenApiExample("Confirm first", response_only=True, status_codes=["409"], value=CONFIRM_EXAMPLE),
]


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List content items",
        description="Every item in the library, whatever its status, newest first (`ordering`: `id`, "
                    "`created_at`, `-id`, `-created_at`). Filters: `status` (repeatable), `campaign`, "
                    "`topic`, `network`, `content_type`, `pinned`, `search`. Needs `content.view_contentitem` "
                    "(Curators, Approvers, Admins).",
        examples=[OpenApiExample("A page", response_only=True,
                                 value={"next": None, "previous": None, "results": [ITEM_EXAMPLE]})],
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One content item",
        description="An item by id, as approved: a pending change shows as `pending_revision`. Needs "
                    "`content.view_contentitem`.",
        examples=[OpenApiExample("An item", response_only=True, value=ITEM_EXAMPLE)],
    ),
    create=extend_schema(
        tags=[TAG], summary="Create a content item (a draft)",
        description="A new draft, by you, with its suggested texts. A link's preview (title, description, "
                    "image) is fetched in the background, as from the admin. Move it on with the workflow "
                    "actions (`submit`, `approve`, `schedule`, `publish`). " + _EDIT_RULES
                    + " Needs `content.add_contentitem`.",
        request=ContentItemWriteSerializer, responses={201: ContentItemSerializer},
        examples=[OpenApiExample("A new item", request_only=True, value=_WRITE_EXAMPLE),
                  OpenApiExample("Created", response_only=True, status_codes=["201"],
                                 value={**ITEM_EXAMPLE, "status": "draft", "preview_status": "pending",
                                        "published_at": None, "approved_by": None, "approved_at": None})],
    ),
    update=extend_schema(
        tags=[TAG], summary="Replace a content item",
        description="Like PATCH, but fields left out take their defaults (`texts` left out stay as they "
                    "are). " + _UPDATE_DESCRIPTION,
        request=ContentItemWriteSerializer, responses=_ANSWERS,
        examples=[OpenApiExample("Replace", request_only=True, value=_WRITE_EXAMPLE), *_ANSWER_EXAMPLES],
    ),
    partial_update=extend_schema(
        tags=[TAG], summary="Edit a content item",
        description=_UPDATE_DESCRIPTION,
        request=ContentItemWriteSerializer, responses=_ANSWERS,
        examples=[OpenApiExample("A new title", request_only=True, value={"title": "The 2026 security report"}),
                  OpenApiExample("A new link, confirmed", request_only=True,
                                 value={"url": "https://www.example.com/reports/security-2026-v2",
                                        "confirm_consequences": True}),
                  *_ANSWER_EXAMPLES],
    ),
    destroy=extend_schema(
        tags=[TAG], summary="Delete a content item",
        description="Only an item that was never published and that no one shared: anything employees have "
                    "seen or shared is kept (a 403 `protected`) — archive it instead. Needs "
                    "`content.delete_contentitem` (Approvers, Admins).",
        responses={204: None, 403: ErrorSerializer},
        examples=[OpenApiExample("Protected", response_only=True, status_codes=["403"],
                                 value={"error": {"code": "protected", "message": "“Our 2026 security report” "
                                        "was published or shared: archive it instead.", "field": None}})],
    ),
)
class ContentItemViewSet(WorkflowActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = ContentItemSerializer
    filterset_class = ContentItemFilter
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[ContentItem]:
        return items_queryset()

    def get_permissions(self) -> list:
        if self.action in ("list", "retrieve", "create", "update", "partial_update", "destroy", None):
            return [permission() for permission in MODEL_PERMISSIONS]
        # Workflow actions: seeing the item, then the action's own permission (checked in it).
        return [permission() for permission in perms_required("content.view_contentitem")]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("create", "update", "partial_update"):
            return ContentItemWriteSerializer
        return ContentItemSerializer

    def item_data(self, pk: int) -> dict[str, Any]:
        return ContentItemSerializer(items_queryset().get(pk=pk), context=self.get_serializer_context()).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ContentItemWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = item_create(user=request.user, data=body.validated_data)
        return Response(self.item_data(item.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        item = self.get_object()
        body = ContentItemWriteSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        edited = item_update(item=item, user=request.user, data=body.validated_data, full=not partial)
        if edited.proposed:
            return _revision_answer(edited, self.get_serializer_context())
        return Response(self.item_data(item.pk))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @transaction.atomic
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        if not content_deletable(item):
            raise ApiError("protected", f"“{item.title}” was published or shared: archive it instead.",
                           http_status=403)
        item.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
