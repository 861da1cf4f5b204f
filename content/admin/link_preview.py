"""The item page's link preview, live: what the worker fetched, for the page to fill in.

The admin saves an item with a link and the worker fetches the page in the background
(``content.services.previews``). The change page (static/js/admin-link-preview.js) asks
this staff-only endpoint until the fetch is done and fills in the fields the curator has
not touched; a title the curator typed is never replaced.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from content.models import ContentItem


def link_preview_state(item: ContentItem) -> dict[str, Any]:
    """The fields of ``item`` the fetch fills in, as the change page shows them."""
    fetched = timezone.localtime(item.preview_fetched_at) if item.preview_fetched_at else None
    return {
        "status": item.preview_status,
        "status_label": item.get_preview_status_display(),
        "error": item.preview_error,
        "fetched_at": f"{fetched:%d %b %Y, %H:%M}" if fetched else "",
        "title": item.title,
        "summary": item.summary,
        "display_title": item.display_title,
        "preview_title": item.preview_title,
        "preview_description": item.preview_description,
        "preview_image_url": item.preview_image_url,
        "preview_site_name": item.preview_site_name,
        "canonical_url": item.canonical_url,
        # Our stored copy only: the admin's policy shows images from our own origin.
        "image_url": item.portal_image_url,
    }


def link_preview_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """JSON for the change page's script (AdminSite.admin_view: staff only, never cached)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    item = get_object_or_404(ContentItem.objects.only(*PREVIEW_FIELDS), pk=pk)
    return JsonResponse(link_preview_state(item))


PREVIEW_FIELDS = (
    "pk", "url", "title", "summary", "image", "preview_status", "preview_error", "preview_fetched_at",
    "preview_title", "preview_description", "preview_image_url", "preview_site_name", "canonical_url",
)
