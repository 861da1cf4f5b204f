"""Who am I: the signed-in person's profile (``GET /me/``)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    job_title = serializers.CharField()
    team = TeamRefSerializer(allow_null=True)
    location = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA time zone: scheduled shares and digests use it.")
    language = serializers.CharField()
    roles = serializers.SerializerMethodField(help_text="Advocate, Curator, Approver, Admin.")
    is_advocate = serializers.BooleanField(help_text="Opted in: gets new content and the digests.")
    advocate_since = serializers.DateTimeField(source="advocate_opted_in_at", allow_null=True)
    is_staff = serializers.BooleanField(help_text="Works in the marketing admin.")
    date_joined = serializers.DateTimeField()

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.role_names)


@extend_schema(
    summary="Me",
    description="The person the token (or session) acts as: profile, team, roles and time zone. Change your "
                "name, time zone and notification settings with `PATCH /me/preferences/`.",
    examples=[OpenApiExample("An advocate", response_only=True, status_codes=["200"], value={
        "id": 12, "email": "ann.lee@example.com", "full_name": "Ann Lee", "job_title": "Solutions engineer",
        "team": {"id": 4, "name": "Sales"}, "location": "Berlin", "timezone": "Europe/Berlin", "language": "en",
        "roles": ["Advocate"], "is_advocate": True, "advocate_since": "2025-09-01T08:00:00+00:00",
        "is_staff": False, "date_joined": "2025-08-28T15:12:00+00:00",
    })],
)
class MeView(generics.GenericAPIView):
    serializer_class = MeSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request) -> Response:
        user = User.objects.select_related("team").get(pk=request.user.pk)
        return Response(self.get_serializer(user).data)
