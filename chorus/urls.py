"""Every URL of Chorus: each app brings its own, the project adds health and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminPasswordLoginForm
from chorus.health import healthz
from chorus.metrics import metrics_view

# A database outage is a 503 (JSON for the API and /healthz), not a 500.
handler500 = "chorus.errors.server_error"

admin.site.site_header = "Chorus — marketing"
admin.site.site_title = "Chorus admin"
admin.site.index_title = "Content, campaigns and people"
# Password login on the admin page follows PASSWORD_LOGIN_ADMINS_ONLY too (single sign-on).
admin.site.login_form = AdminPasswordLoginForm

urlpatterns = [
    path("", include("advocacy.urls")),
    path("", include("analytics.urls")),
    path("", include("notifications.urls")),
    path("accounts/", include("accounts.urls")),
    path("sso/", include("identity.sso.urls")),  # single sign-on: OpenID Connect, SAML 2.0
    path("api/", include("chorus.api_urls")),
    path("scim/v2/", include("identity.scim.urls")),  # SCIM 2.0 provisioning (token only)
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus; off unless METRICS_TOKEN/_ALLOWED_NETWORKS
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
