"""The public API: /api/v1/ (each app brings its endpoints), the OpenAPI schema and its docs.

One docs page, Swagger UI, from our own static files (drf-spectacular-sidecar). ReDoc is not
offered: its bundle injects inline styles that our Content-Security-Policy refuses, and its
page loads Google Fonts.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api import api_not_found

urlpatterns = [
    path("v1/", include("advocacy.apis.urls")),
    path("v1/", include("content.apis.urls")),
    path("v1/", include("analytics.apis.urls")),
    path("v1/", include("accounts.apis.urls")),
    path("v1/", include("notifications.apis.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Split view: the start-up script is a file, not inline (CSP); our template has no inline style.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="api/swagger_ui.html"),
         name="api_docs"),
    # Last: any other /api/ address is a 404 in the API's error shape, not an HTML page.
    # [\s\S], not ".": an address may hold a newline (%0A), which "." does not match.
    re_path(r"^(?P<unmatched>[\s\S]*)$", api_not_found, name="api_not_found"),
]
