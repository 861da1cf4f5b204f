"""Who may use the people API: the admin's model permissions on people, nothing more."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings


def perms_required(*perms: str) -> list[type[BasePermission]]:
    """The API's default permissions (signed in, within the token's scope) and ``perms``."""
    if not perms:
        return list(api_settings.DEFAULT_PERMISSION_CLASSES)

    class HasPerms(BasePermission):
        message = "You do not have permission to do this."

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(request.user and request.user.has_perms(perms))

    return [*api_settings.DEFAULT_PERMISSION_CLASSES, HasPerms]
