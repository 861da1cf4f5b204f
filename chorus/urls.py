"""Every URL of Chorus: each app brings its own, the project adds health and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from chorus.health import healthz

# A database outage is a 503 (JSON for the API and /healthz), not a 500.
handler500 = "chorus.errors.server_error"

admin.site.site_header = "Chorus — marketing"
admin.site.site_title = "Chorus admin"
admin.site.index_title = "Content, campaigns and people"

urlpatterns = [
    path("", include("advocacy.urls")),
    path("", include("analytics.urls")),
    path("", include("notifications.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("chorus.api_urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
