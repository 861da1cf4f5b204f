"""The public API: /api/v1/ (each app brings its endpoints), the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("v1/", include("advocacy.apis.urls")),
    path("v1/", include("content.apis.urls")),
    path("v1/", include("analytics.apis.urls")),
    path("v1/", include("accounts.apis.urls")),
    path("v1/", include("notifications.apis.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
]
