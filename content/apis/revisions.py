"""Pending revisions (staff API): the changes to approved items that wait for an Approver.

Reading needs ``content.view_contentitem`` (the admin's review queue); approving and
rejecting need ``content.approve_contentitem``, through the admin's services.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from content.apis.base import ContentActorSerializer, PendingByDefault, StaffViewSet, perms_required
from content.apis.item_serializers import ShareTextInputSerializer
from content.models import ContentRevision, RevisionStatus
from content.services.revisions import (
    NeedsConfirmation,
    RevisionError,
    revision_approve,
    revision_consequences,
    revision_diff,
    revision_reject,
)
from core.api import ApiError, ErrorSerializer

TAG = "Content: revisions"
REVISION = {
    "id": 31, "item": 204, "item_title": "Our 2026 security report", "status": "pending",
    "proposed": {"fields": {"title": "The 2026 security report"}, "m2m": {}},
    "proposed_by": {"id": 7, "name": "Cara Curator"}, "proposed_at": "2026-03-02T10:15:00Z",
    "decided_by": None, "decided_at": None, "note": "",
}
REVISION_DETAIL = {
    **REVISION,
    "changes": [{"field": "title", "label": "Title", "live": "Our 2026 security report",
                 "proposed": "The 2026 security report", "moved": False}],
    "consequences": [],
}


class RevisionProposalSerializer(serializers.Serializer):
    fields = serializers.DictField(required=False, help_text="Proposed values by field name (model names: "
                                                             "`campaign_id`, `target_locations`, ...).")
    m2m = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()), required=False,
                                help_text="Proposed `topics` / `target_teams` ids.")
    texts = ShareTextInputSerializer(many=True, required=False,
                                     help_text="The whole proposed list of suggested texts, if they change.")


class RevisionSerializer(serializers.ModelSerializer):
    """A proposed change to an approved item."""

    item_title = serializers.CharField(source="item.title", read_only=True)
    proposed = RevisionProposalSerializer(source="data", read_only=True)
    proposed_by = ContentActorSerializer(read_only=True, allow_null=True)
    decided_by = ContentActorSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ContentRevision
        fields = ["id", "item", "item_title", "status", "proposed", "proposed_by", "proposed_at", "decided_by",
                  "decided_at", "note"]
        read_only_fields = fields


class RevisionChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    live = serializers.CharField(help_text="The live value now, as the review queue shows it.")
    proposed = serializers.CharField()
    moved = serializers.BooleanField(help_text="The live value changed since the proposal (someone else edited).")


class RevisionConsequenceSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class RevisionDetailSerializer(RevisionSerializer):
    """A revision with its field-by-field diff against the live item and the consequences
    approving it would have (those need ``confirm_consequences``)."""

    # A plain string here: the enum is documented once, on Revision.
    status = serializers.CharField(read_only=True, help_text="`pending`, `approved`, `rejected` or `replaced`.")
    changes = serializers.SerializerMethodField()
    consequences = serializers.SerializerMethodField()

    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "changes", "consequences"]
        read_only_fields = fields

    @extend_schema_field(RevisionChangeSerializer(many=True))
    def get_changes(self, revision: ContentRevision) -> list[dict[str, Any]]:
        return revision_diff(revision)

    @extend_schema_field(RevisionConsequenceSerializer(many=True))
    def get_consequences(self, revision: ContentRevision) -> list[dict[str, str]]:
        if revision.status != RevisionStatus.PENDING:
            return []
        return [{"field": c.field, "message": c.message} for c in revision_consequences(revision)]


class RevisionApproveSerializer(serializers.Serializer):
    confirm_consequences = serializers.BooleanField(
        required=False, default=False,
        help_text="Needed when approving reaches beyond the item (see `consequences`).")


class RevisionRejectSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                 help_text="Why, for the Curator who proposed it.")


class RevisionFilter(PendingByDefault, filters.FilterSet):
    status = filters.ChoiceFilter(choices=[*RevisionStatus.choices, ("all", "Any status")], method="filter_status",
                                  help_text="`pending` (the default: the review queue), another status, or `all`.")
    item = filters.NumberFilter(field_name="item_id", help_text="Only revisions of this item (its id).")

    class Meta:
        model = ContentRevision
        fields = ["status", "item"]



_CONFLICTS = ("A 409 `confirmation_required` lists what approving would do beyond the item (links already "
              "posted, the text lock, the disclosure, the networks): send `confirm_consequences: true` to go "
              "ahead. A revision no longer pending is a 400 `not_pending`.")


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List revisions (the review queue)",
        description="Changes to approved, scheduled or published items that wait for an Approver, oldest "
                    "proposal last (`ordering=proposed_at` for oldest first). `status` defaults to `pending`. "
                    "Needs `content.view_contentitem` (Curators, Approvers, Admins).",
        examples=[OpenApiExample("The queue", response_only=True,
                                 value={"next": None, "previous": None, "results": [REVISION]})],
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One revision, with its diff",
        description="The revision, the field-by-field diff against the live item (`moved`: the live value "
                    "changed since the proposal) and the consequences approving it would have. Needs "
                    "`content.view_contentitem`.",
        examples=[OpenApiExample("A revision", response_only=True, value=REVISION_DETAIL)],
    ),
    approve=extend_schema(
        tags=[TAG], summary="Approve a revision: it goes live", operation_id="content_revisions_approve",
        description="Applies the proposed values to the item, which stays in its status (a published item "
                    "stays published, now in the new version). Written to the item's history and the audit "
                    f"log. {_CONFLICTS} Needs `content.approve_contentitem` (Approvers, Admins).",
        request=RevisionApproveSerializer, responses={200: RevisionSerializer, 409: ErrorSerializer},
        examples=[OpenApiExample("Approve", request_only=True, value={"confirm_consequences": False}),
                  OpenApiExample("Approved", response_only=True,
                                 value={**REVISION, "status": "approved", "decided_by": {"id": 3, "name": "Al Approver"},
                                        "decided_at": "2026-03-02T11:00:00Z"}),
                  OpenApiExample("Confirm first", response_only=True, status_codes=["409"], value={"error": {
                      "code": "confirmation_required", "field": "confirm_consequences",
                      "message": "Approving this reaches beyond the item: The text lock is turned off: advocates "
                                 "may rewrite the approved text before sharing. Send it again with "
                                 "\"confirm_consequences\": true to approve it."}})],
    ),
    reject=extend_schema(
        tags=[TAG], summary="Reject a revision: the approved version stays", operation_id="content_revisions_reject",
        description="The note is shown to the Curator. A revision no longer pending is a 400 `not_pending`. "
                    "Needs `content.approve_contentitem` (Approvers, Admins).",
        request=RevisionRejectSerializer, responses={200: RevisionSerializer},
        examples=[OpenApiExample("Reject", request_only=True, value={"note": "Keep the original title."}),
                  OpenApiExample("Rejected", response_only=True,
                                 value={**REVISION, "status": "rejected", "note": "Keep the original title.",
                                        "decided_by": {"id": 3, "name": "Al Approver"},
                                        "decided_at": "2026-03-02T11:00:00Z"})],
    ),
)
class RevisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    queryset = ContentRevision.objects.select_related("item", "proposed_by", "decided_by")
    serializer_class = RevisionSerializer
    filterset_class = RevisionFilter
    ordering_fields = ["id", "proposed_at"]

    def get_permissions(self) -> list:
        needed = "content.approve_contentitem" if self.action in ("approve", "reject") else "content.view_contentitem"
        return [permission() for permission in perms_required(needed)]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "retrieve":
            return RevisionDetailSerializer
        if self.action == "approve":
            return RevisionApproveSerializer
        if self.action == "reject":
            return RevisionRejectSerializer
        return RevisionSerializer

    def _answer(self, revision: ContentRevision) -> Response:
        revision = self.get_queryset().get(pk=revision.pk)
        return Response(RevisionSerializer(revision, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: int | None = None) -> Response:
        revision = self.get_object()
        body = RevisionApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            revision_approve(revision=revision, user=request.user, confirmed=body.validated_data["confirm_consequences"])
        except NeedsConfirmation as exc:
            listed = " ".join(c.message for c in exc.consequences)
            raise ApiError("confirmation_required",
                           f"Approving this reaches beyond the item: {listed} Send it again with "
                           "\"confirm_consequences\": true to approve it.",
                           http_status=409, field="confirm_consequences") from None
        except RevisionError as exc:
            raise ApiError("not_pending", str(exc)) from None
        except ValidationError as exc:
            raise ApiError("invalid", "The revision cannot be applied: " + "; ".join(exc.messages)) from None
        return self._answer(revision)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: int | None = None) -> Response:
        revision = self.get_object()
        body = RevisionRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            revision_reject(revision=revision, user=request.user, note=body.validated_data["note"])
        except RevisionError as exc:
            raise ApiError("not_pending", str(exc)) from None
        return self._answer(revision)
