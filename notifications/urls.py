"""Notification fan-out, digests and email deliveries."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("n/share/<str:token>/", views.share_link, name="notify_share_link"),
    path("n/unsubscribe/<str:token>/", views.unsubscribe, name="notify_unsubscribe"),
]
