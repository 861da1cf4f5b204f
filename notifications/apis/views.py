"""My notifications: the notification centre of the portal, through its services.

Another person's notification is a 404.
"""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from advocacy.apis.pagination import KeysetCursorPage
from core.api import ApiError
from notifications.models import Notification
from notifications.services.inapp import (
    notification_for_user,
    notification_mark_read,
    notifications_for_user,
    notifications_mark_all_read,
)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="new_content, share_failed, share_unconfirmed, reconnect, expiring, "
                                           "suggestion, rank or system.")
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="Where it points in the portal (absolute), if anywhere.")
    item = serializers.IntegerField(source="item_id", allow_null=True, help_text="The item it is about, if one.")
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_url(self, notification: Notification) -> str:
        url = notification.url
        # Only our own paths become links (the portal opens nothing else either).
        if url.startswith("/") and not url.startswith("//"):
            return self.context["request"].build_absolute_uri(url)
        return ""

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationPage(KeysetCursorPage):
    ordering = ("-created_at", "-pk")  # the notification centre's order


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull",
                                          help_text="true: only unread; false: only read.")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


_NOTIFICATION = {
    "id": 9, "kind": "share_failed", "title": "Your LinkedIn share failed",
    "body": "LinkedIn refused the post: the text is too long.", "url": "https://chorus.example.com/shares/",
    "item": 42, "read": False, "read_at": None, "created_at": "2025-11-24T09:02:00+00:00",
}


@extend_schema(
    summary="My notifications",
    description="Your in-app notifications, newest first; `unread=true` for the unread ones only, `kind` for one "
                "kind. Cursor pages.",
    examples=[OpenApiExample("A notification in the list", response_only=True, status_codes=["200"],
                             value=_NOTIFICATION)],
)
class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    pagination_class = NotificationPage
    filterset_class = NotificationFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # the schema, made without a request
            return Notification.objects.none()
        return notifications_for_user(self.request.user)


@extend_schema(
    summary="Mark a notification read",
    description="Marks one of your notifications read (already read: nothing changes).",
    request=None,
    examples=[OpenApiExample("Read", response_only=True, status_codes=["200"],
                             value={**_NOTIFICATION, "read": True, "read_at": "2025-11-24T10:00:00+00:00"})],
)
class NotificationReadView(generics.GenericAPIView):
    serializer_class = NotificationSerializer

    def post(self, request: Request, notification_id: int) -> Response:
        notification = notification_for_user(request.user, notification_id)
        if notification is None:
            raise ApiError("not_found", "No such notification.", http_status=404)
        notification_mark_read(user=request.user, notification=notification)
        return Response(self.get_serializer(notification).data)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")


@extend_schema(
    summary="Mark all my notifications read",
    description="Marks every unread notification of yours read and says how many there were.",
    request=None,
    responses={200: ReadAllSerializer},
    examples=[OpenApiExample("Three marked", response_only=True, status_codes=["200"], value={"marked": 3})],
)
class NotificationReadAllView(generics.GenericAPIView):
    serializer_class = ReadAllSerializer

    def post(self, request: Request) -> Response:
        return Response(self.get_serializer({"marked": notifications_mark_all_read(user=request.user)}).data)
