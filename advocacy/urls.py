from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from advocacy import views
from advocacy.health import healthz

admin.site.site_header = "Chorus — marketing"
admin.site.site_title = "Chorus admin"
admin.site.index_title = "Content, campaigns and people"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
