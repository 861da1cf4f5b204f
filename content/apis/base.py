"""What the staff's content endpoints share: permissions (exactly the admin's), the audit
actor, and small serializers."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.api import ModelPermissions


def perms_required(*perms: str) -> list[type[BasePermission]]:
    """The API's default permissions (signed in; a read-only token only reads) and ``perms``,
    whatever the method: for endpoints that are not one model's CRUD."""

    class HasPerms(BasePermission):
        message = "You do not have permission to do this."

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    return [*api_settings.DEFAULT_PERMISSION_CLASSES, HasPerms]


# The API's defaults and exactly the admin's model permissions (reading needs ``view_<model>``).
MODEL_PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, ModelPermissions]


class StaffViewSet(viewsets.GenericViewSet):
    """A staff endpoint: integer ids in paths; filters for lists only. (Audit entries name
    the token's owner: accounts.api_auth sets the actor when it authenticates a token.)"""

    lookup_value_converter = "int"
    permission_classes = MODEL_PERMISSIONS

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Filters narrow lists; an object is found by its id whatever they default to.
        return super().filter_queryset(queryset) if self.action == "list" else queryset


class ContentActorSerializer(serializers.Serializer):
    """Who did something: id and name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class WorkflowNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                 help_text="Kept in the item's history (optional).")


class PendingByDefault:
    """A FilterSet mixin for a review queue: ``status`` is ``pending`` unless the request names
    one (``all``: any status). Declare ``status`` with ``method="filter_status"``."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and not data.get("status"):
            data = data.copy()
            data["status"] = "pending"
        super().__init__(data, *args, **kwargs)

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(status=value)
