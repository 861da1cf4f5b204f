"""Notification fan-out, digests and email deliveries."""

from django.urls import path

from notifications import views, webapp

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("n/share/<str:token>/", views.share_link, name="notify_share_link"),
    path("n/unsubscribe/<str:token>/", views.unsubscribe, name="notify_unsubscribe"),
    # The installable app (notifications.webapp) and this device's Web Push subscription.
    path("manifest.webmanifest", webapp.manifest, name="webmanifest"),
    path("sw.js", webapp.service_worker, name="service_worker"),
    path("offline/", webapp.offline, name="offline"),
    path("push/subscription/", views.push_subscribe, name="push_subscribe"),
    path("push/subscription/delete/", views.push_unsubscribe, name="push_unsubscribe"),
]
