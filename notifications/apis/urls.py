"""notifications API (mounted under /api/v1/ by chorus.api_urls): my notifications."""

from django.urls import path

from notifications.apis import views

urlpatterns: list = [
    path("notifications/", views.NotificationListView.as_view(), name="api_notifications"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="api_notifications_read_all"),
    path("notifications/<int:notification_id>/read/", views.NotificationReadView.as_view(),
         name="api_notification_read"),
]
