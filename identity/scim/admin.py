"""SCIM tokens in the Django admin: made by an Admin, shown once, revocable.

Only the Admin role (and superusers) hold the ``identity`` permissions (accounts.roles).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from identity.models import ScimToken
from identity.scim.tokens import scim_token_create, scim_token_revoke


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ScimToken, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)  # a new name only
            return
        made = scim_token_create(name=obj.name, by=request.user)
        obj.pk, obj.prefix = made.token.pk, made.token.prefix
        obj._plain = made.plain  # for response_add only: never stored

    def response_add(self, request: HttpRequest, obj: ScimToken, post_url_continue=None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "SCIM token created",
            "opts": self.model._meta,
            "token": obj,
            "plain": obj._plain,
            "base_url": f"{settings.SITE_URL}/scim/v2",
        }
        response = TemplateResponse(request, "admin/identity/scimtoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke (the identity provider can no longer use them)", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = sum(scim_token_revoke(token=token, by=request.user) for token in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
