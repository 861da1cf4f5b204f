"""Employees' content suggestions (staff API): ``/api/v1/content/suggestions/``.

The review queue: reading needs ``content.view_contentsuggestion``; accepting and
rejecting need ``content.change_contentsuggestion`` (Curators, Approvers, Admins), through
the admin's services. Each suggestion came with a draft item in the library: accepting
keeps it for a curator to finish, rejecting archives it; the employee is told either way.
"""

from typing import Any

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from content.apis.base import (
    MODEL_PERMISSIONS,
    ContentActorSerializer,
    PendingByDefault,
    StaffViewSet,
    perms_required,
)
from content.models import ContentSuggestion, SuggestionStatus
from content.services.suggestions import suggestion_accept, suggestion_reject
from content.services.workflow import NotAllowed, WorkflowError
from core.api import ApiError

TAG = "Content: suggestions"
SUGGESTION = {
    "id": 17, "url": "https://www.example.com/blog/zero-trust", "note": "Our customers ask about this.",
    "status": "pending", "suggested_by": {"id": 12, "name": "Ann Lee"}, "item": 230, "reviewed_by": None,
    "reviewed_at": None, "response": "", "created_at": "2026-03-01T16:20:00Z",
}


class SuggestionSerializer(serializers.ModelSerializer):
    suggested_by = ContentActorSerializer(read_only=True)
    reviewed_by = ContentActorSerializer(read_only=True, allow_null=True)
    item = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                              help_text="The draft made from it, in the library.")

    class Meta:
        model = ContentSuggestion
        fields = ["id", "url", "note", "status", "suggested_by", "item", "reviewed_by", "reviewed_at", "response",
                  "created_at"]
        read_only_fields = fields


class SuggestionReviewSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                    help_text="For the employee who suggested it.")


class SuggestionFilter(PendingByDefault, filters.FilterSet):
    status = filters.ChoiceFilter(choices=[*SuggestionStatus.choices, ("all", "Any status")], method="filter_status",
                                  help_text="`pending` (the default: the queue), another status, or `all`.")

    class Meta:
        model = ContentSuggestion
        fields = ["status"]


_REVIEWED = "A suggestion already reviewed is a 400 `workflow_refused`. Needs `content.change_contentsuggestion`."


@extend_schema_view(
    list=extend_schema(
        tags=[TAG], summary="List suggestions (the queue)",
        description="Links employees suggested, newest first; `status` defaults to `pending`. Needs "
                    "`content.view_contentsuggestion` (Curators, Approvers, Admins).",
        examples=[OpenApiExample("The queue", response_only=True,
                                 value={"next": None, "previous": None, "results": [SUGGESTION]})],
    ),
    retrieve=extend_schema(
        tags=[TAG], summary="One suggestion", description="Needs `content.view_contentsuggestion`.",
        examples=[OpenApiExample("A suggestion", response_only=True, value=SUGGESTION)],
    ),
    accept=extend_schema(
        tags=[TAG], summary="Accept a suggestion", operation_id="content_suggestions_accept",
        description="Its draft (`item`) stays in the library for you to finish and submit; the employee is "
                    "told, with your message. " + _REVIEWED,
        request=SuggestionReviewSerializer, responses={200: SuggestionSerializer},
        examples=[OpenApiExample("Accept", request_only=True, value={"message": "Thanks, great find!"}),
                  OpenApiExample("Accepted", response_only=True,
                                 value={**SUGGESTION, "status": "accepted", "response": "Thanks, great find!",
                                        "reviewed_by": {"id": 7, "name": "Cara Curator"},
                                        "reviewed_at": "2026-03-02T09:00:00Z"})],
    ),
    reject=extend_schema(
        tags=[TAG], summary="Reject a suggestion", operation_id="content_suggestions_reject",
        description="Its draft is archived; the employee sees your message. " + _REVIEWED,
        request=SuggestionReviewSerializer, responses={200: SuggestionSerializer},
        examples=[OpenApiExample("Reject", request_only=True, value={"message": "We covered this last month."}),
                  OpenApiExample("Rejected", response_only=True,
                                 value={**SUGGESTION, "status": "rejected",
                                        "response": "We covered this last month.",
                                        "reviewed_by": {"id": 7, "name": "Cara Curator"},
                                        "reviewed_at": "2026-03-02T09:00:00Z"})],
    ),
)
class SuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    queryset = ContentSuggestion.objects.select_related("suggested_by", "reviewed_by")
    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    ordering_fields = ["id", "created_at"]

    def get_permissions(self) -> list:
        if self.action in ("accept", "reject"):
            return [permission() for permission in perms_required("content.change_contentsuggestion")]
        return [permission() for permission in MODEL_PERMISSIONS]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return SuggestionReviewSerializer if self.action in ("accept", "reject") else SuggestionSerializer

    def _review(self, request: Request, service: Any) -> Response:
        suggestion = self.get_object()
        body = SuggestionReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            service(suggestion=suggestion, user=request.user, message=body.validated_data["message"])
        except NotAllowed as exc:
            raise ApiError("permission_denied", str(exc), http_status=403) from None
        except WorkflowError as exc:
            raise ApiError("workflow_refused", str(exc)) from None
        return Response(SuggestionSerializer(self.get_queryset().get(pk=suggestion.pk)).data)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: int | None = None) -> Response:
        return self._review(request, suggestion_accept)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: int | None = None) -> Response:
        return self._review(request, suggestion_reject)

