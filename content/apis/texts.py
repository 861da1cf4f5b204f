"""An item's suggested texts (staff API): ``/api/v1/content/items/<item_pk>/texts/``.

Like the admin's inline: reading needs ``content.view_sharetext``; adding, changing and
removing need the text's model permission and ``content.change_contentitem`` (editing
the item). The same rules and the same governance as editing the item: a Curator's change
to the texts of an approved, scheduled or published item is a pending revision (202).
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from content.apis.base import StaffViewSet
from content.apis.editing import Edited, texts_update
from content.apis.item_serializers import ShareTextSerializer
from content.apis.revisions import REVISION_DETAIL, RevisionDetailSerializer
from content.models import ContentItem, ShareText
from core.api import require_perm

TAG = "Content: items"
TEXT = {"id": 81, "network": "linkedin", "text": "Our new report is out.", "position": 0}
_ITEM = OpenApiParameter("item_pk", int, OpenApiParameter.PATH, description="The item's id.")
_GOVERNANCE = (
    "Made at once on a draft or an item in review, or by an Approver. A Curator's change to an approved, "
    "scheduled or published item waits for an Approver: a 202 with the pending revision (successive changes "
    "add up in it), and employees keep seeing the approved texts. A text must fit its network with the "
    "disclosure and tracked link, contain no blocked word, and be for a network the item allows (else a 400, "
    "nothing changed). Needs `content.change_contentitem` and "
)
_PROPOSED = OpenApiExample("Waiting for an Approver", response_only=True, status_codes=["202"],
                           value={**REVISION_DETAIL, "proposed": {"fields": {}, "m2m": {}, "texts": [TEXT]}})


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List an item's suggested texts", parameters=[_ITEM],
        description="The live texts, by network and position (not paginated: an item has a few). Needs "
                    "`content.view_sharetext`.",
        examples=[OpenApiExample("Texts", response_only=True, value=[TEXT])],
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One suggested text", parameters=[_ITEM],
        description="Needs `content.view_sharetext`.",
        examples=[OpenApiExample("A text", response_only=True, value=TEXT)],
    ),
    create=extend_schema(
        tags=[TAG], summary="Add a suggested text", parameters=[_ITEM],
        description="Add a variant for a network (advocates are offered the variants in turn). " + _GOVERNANCE
                    + "`content.add_sharetext`.",
        responses={201: ShareTextSerializer, 202: RevisionDetailSerializer},
        examples=[OpenApiExample("A text", request_only=True,
                                 value={"network": "linkedin", "text": "Our new report is out."}),
                  OpenApiExample("Added", response_only=True, status_codes=["201"], value=TEXT), _PROPOSED],
    ),
    update=extend_schema(
        tags=[TAG], summary="Replace a suggested text", parameters=[_ITEM],
        description=_GOVERNANCE + "`content.change_sharetext`.",
        responses={200: ShareTextSerializer, 202: RevisionDetailSerializer},
        examples=[OpenApiExample("A text", request_only=True,
                                 value={"network": "linkedin", "text": "Read our new report.", "position": 0}),
                  OpenApiExample("Changed", response_only=True, status_codes=["200"], value=TEXT), _PROPOSED],
    ),
    partial_update=extend_schema(
        tags=[TAG], summary="Change a suggested text", parameters=[_ITEM],
        description=_GOVERNANCE + "`content.change_sharetext`.",
        responses={200: ShareTextSerializer, 202: RevisionDetailSerializer},
        examples=[OpenApiExample("New wording", request_only=True, value={"text": "Read our new report."}),
                  OpenApiExample("Changed", response_only=True, status_codes=["200"], value=TEXT), _PROPOSED],
    ),
    destroy=extend_schema(
        tags=[TAG], summary="Remove a suggested text", parameters=[_ITEM],
        description="204 when removed. " + _GOVERNANCE + "`content.delete_sharetext`.",
        responses={204: None, 202: RevisionDetailSerializer},
        examples=[_PROPOSED],
    ),
)
class ShareTextViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = ShareTextSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[ShareText]:
        # No lookup of the item here: the permission check calls this before anything else.
        if getattr(self, "swagger_fake_view", False):
            return ShareText.objects.none()
        return ShareText.objects.filter(item_id=self.kwargs["item_pk"]).order_by("network", "position", "pk")

    def _item(self) -> ContentItem:
        if not hasattr(self, "_item_cache"):
            self._item_cache = get_object_or_404(ContentItem, pk=self.kwargs["item_pk"])
        return self._item_cache

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._item()  # an item that does not exist is a 404, not an empty list
        return super().list(request, *args, **kwargs)

    def _edit(self, request: Request, change) -> Edited:
        require_perm(request, "content.change_contentitem")
        return texts_update(item=self._item(), user=request.user, change=change)

    def _proposed(self, edited: Edited) -> Response | None:
        if edited.proposed and edited.revision is not None:
            return Response(RevisionDetailSerializer(edited.revision, context=self.get_serializer_context()).data,
                            status=status.HTTP_202_ACCEPTED)
        return None

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ShareTextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = {"id": None, **body.validated_data}
        edited = self._edit(request, lambda rows: [*rows, row])
        proposed = self._proposed(edited)
        if proposed is not None:
            return proposed
        text = ShareText.objects.get(pk=edited.text_ids[-1])
        return Response(ShareTextSerializer(text).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        text = self.get_object()
        body = ShareTextSerializer(text, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        new = {"id": text.pk, "network": text.network, "text": text.text, "position": text.position,
               **body.validated_data}

        def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if not any(r.get("id") == text.pk for r in rows):
                return [*rows, new]  # removed in the pending proposal: this change keeps it
            return [new if r.get("id") == text.pk else r for r in rows]

        proposed = self._proposed(self._edit(request, change))
        if proposed is not None:
            return proposed
        return Response(ShareTextSerializer(ShareText.objects.get(pk=text.pk)).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        text = self.get_object()
        proposed = self._proposed(self._edit(request, lambda rows: [r for r in rows if r.get("id") != text.pk]))
        if proposed is not None:
            return proposed
        return Response(status=status.HTTP_204_NO_CONTENT)
