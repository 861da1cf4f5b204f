"""Admin building blocks shared by every app (Django only: ``core`` imports no app)."""

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Put before ``admin.ModelAdmin``: a log or rollup that only the workers write.

    Rows are never added or changed by hand, because the admin's edit would be overwritten
    by the next run or would falsify a record of what happened. Viewing still follows the
    usual view/change permissions. ``read_only_may_delete`` keeps Django's own delete
    permission for logs whose old rows staff may clear; otherwise deleting is refused too.
    """

    read_only_may_delete: bool = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.read_only_may_delete:
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]


# The audit log's admin (read-only, CSV export) replaces django-auditlog's own.
from core import audit_admin  # noqa: E402,F401
