"""Campaigns and topics (staff API): ``/api/v1/content/campaigns/``, ``/api/v1/content/topics/``.

Exactly the admin's model permissions (Curators add and change both; Approvers also delete
campaigns; only Admins delete topics) and the model's own validation, as the admin's form
applies it. Saves go through the models, which the audit log tracks.
"""

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from accounts.models import User
from content.apis.base import StaffViewSet
from content.models import Campaign, ContentStatus, Topic
from core.api import ErrorSerializer

CAMPAIGN = {
    "id": 5, "name": "Spring launch", "slug": "spring-launch", "description": "The new product line.",
    "starts_on": "2026-03-01", "ends_on": "2026-04-30", "goal_shares": 500, "goal_clicks": 2000,
    "utm_campaign": "spring-launch", "owner": 7, "status": "active", "priority": 10,
    "item_count": 12, "published_count": 9, "created_at": "2026-02-20T10:00:00Z",
    "updated_at": "2026-02-21T09:30:00Z",
}
TOPIC = {"id": 2, "name": "Security", "slug": "security", "description": "", "required": False, "item_count": 31}


class ModelCleanMixin:
    """Run the model's own validation (``full_clean``: field rules and ``clean()``), as the
    admin's form does; uniqueness is the serializer's (a 400 naming the field)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean(validate_unique=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class CampaignSerializer(ModelCleanMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False,
                                               help_text="The person in charge (a user id), or null.")
    item_count = serializers.IntegerField(read_only=True, help_text="Items in the campaign.")
    published_count = serializers.IntegerField(read_only=True, help_text="Of those, published now.")

    class Meta:
        model = Campaign
        fields = ["id", "name", "slug", "description", "starts_on", "ends_on", "goal_shares", "goal_clicks",
                  "utm_campaign", "owner", "status", "priority", "item_count", "published_count", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class TopicSerializer(ModelCleanMixin, serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True, help_text="Items with this topic.")

    class Meta:
        model = Topic
        fields = ["id", "name", "slug", "description", "required", "item_count"]
        read_only_fields = ["id"]


def _search(fields: tuple[str, ...]):
    def search(queryset: QuerySet, name: str, value: str) -> QuerySet:
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(query)

    return search


class CampaignFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Campaign.Status.choices)
    search = filters.CharFilter(method=_search(("name", "slug", "description")), max_length=100,
                                help_text="In the name, slug and description.")

    class Meta:
        model = Campaign
        fields = ["status", "search"]


class TopicFilter(filters.FilterSet):
    required = filters.BooleanFilter(help_text="Topics every advocate sees (true), or not (false).")
    search = filters.CharFilter(method=_search(("name", "description")), max_length=100,
                                help_text="In the name and description.")

    class Meta:
        model = Topic
        fields = ["required", "search"]


def _crud_schema(tag: str, noun: str, example: dict[str, Any], request_example: dict[str, Any], perms: dict[str, str],
                 extra: str) -> dict[str, Any]:
    return {
        "list": extend_schema(
            tags=[tag], summary=f"List {noun}s",
            description=f"Every {noun}, newest first (`ordering`: see the parameter). {extra} Needs {perms['view']}.",
            examples=[OpenApiExample("A page", response_only=True,
                                     value={"next": None, "previous": None, "results": [example]})]),
        "retrieve": extend_schema(
            tags=[tag], summary=f"One {noun}", description=f"A {noun} by id. Needs {perms['view']}.",
            examples=[OpenApiExample(noun.capitalize(), response_only=True, value=example)]),
        "create": extend_schema(
            tags=[tag], summary=f"Create a {noun}",
            description=f"The `slug` is required and unique, as in the admin. Bad input is a 400 naming the "
                        f"field. Needs {perms['add']}.",
            examples=[OpenApiExample(f"A new {noun}", request_only=True, value=request_example),
                      OpenApiExample("Created", response_only=True, status_codes=["201"], value=example)]),
        "update": extend_schema(
            tags=[tag], summary=f"Replace a {noun}", description=f"Every field. Needs {perms['change']}.",
            examples=[OpenApiExample(f"The {noun}", request_only=True, value=request_example),
                      OpenApiExample("Saved", response_only=True, value=example)]),
        "partial_update": extend_schema(
            tags=[tag], summary=f"Edit a {noun}", description=f"Only the fields sent. Needs {perms['change']}.",
            examples=[OpenApiExample("One field", request_only=True, value={"description": "Updated."}),
                      OpenApiExample("Saved", response_only=True, value=example)]),
        "destroy": extend_schema(
            tags=[tag], summary=f"Delete a {noun}",
            description=f"Its items stay (without it). Needs {perms['delete']}.",
            responses={204: None, 403: ErrorSerializer},
            examples=[OpenApiExample("Refused", response_only=True, status_codes=["403"],
                                     value={"error": {"code": "permission_denied",
                                                      "message": "You do not have permission to do this.",
                                                      "field": None}})]),
    }


class _CrudViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, mixins.DestroyModelMixin, StaffViewSet):
    """Saves answer the object as a read shows it (with its counts)."""

    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)

    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.save().pk)


@extend_schema_view(**_crud_schema(
    "Content: campaigns", "campaign", CAMPAIGN,
    {"name": "Spring launch", "slug": "spring-launch", "starts_on": "2026-03-01", "ends_on": "2026-04-30",
     "goal_shares": 500, "status": "active", "priority": 10},
    {"view": "`content.view_campaign` (Curators, Approvers, Admins)", "add": "`content.add_campaign`",
     "change": "`content.change_campaign`", "delete": "`content.delete_campaign` (Approvers, Admins)"},
    "Filters: `status`, `search`. A campaign cannot end before it starts.",
))
class CampaignViewSet(_CrudViewSet):
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.annotate(
            item_count=Count("items", distinct=True),
            published_count=Count("items", filter=Q(items__status=ContentStatus.PUBLISHED), distinct=True),
        )


@extend_schema_view(**_crud_schema(
    "Content: topics", "topic", TOPIC, {"name": "Security", "slug": "security", "required": False},
    {"view": "`content.view_topic` (Curators, Approvers, Admins)", "add": "`content.add_topic`",
     "change": "`content.change_topic`", "delete": "`content.delete_topic` (Admins)"},
    "Filters: `required`, `search`. A required topic reaches every advocate, whatever an item's targeting.",
))
class TopicViewSet(_CrudViewSet):
    serializer_class = TopicSerializer
    filterset_class = TopicFilter
    ordering_fields = ["id", "name"]

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.annotate(item_count=Count("items"))
