"""My preferences (``GET``/``PATCH /me/preferences/``): the portal's preferences page.

The rules are the portal form's (``accounts.forms.PreferencesForm``: its fields, the
model's choices, time zones and hour range) and a change is saved the way the page saves
it (the form, then ``user_opt_in`` / ``user_opt_out``). The API only checks the JSON types,
merges a partial change into the current values and answers the form's first error.
"""

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.forms import PreferencesForm
from accounts.models import NotificationPreference, User, Weekday
from accounts.services.users import user_opt_in, user_opt_out
from core.api import ApiError


class PreferencesSerializer(serializers.Serializer):
    """Types only: what each value may be is the form's business."""

    full_name = serializers.CharField(allow_blank=True, required=False)
    job_title = serializers.CharField(allow_blank=True, required=False)
    location = serializers.CharField(allow_blank=True, required=False, help_text="Content may be targeted by it.")
    timezone = serializers.CharField(required=False, help_text="An IANA time zone, e.g. `Europe/Berlin`.")
    language = serializers.CharField(required=False, help_text="A language code Chorus offers, e.g. `en`.")
    notification_preference = serializers.CharField(
        required=False, help_text="When there is new content: " + ", ".join(
            f"`{value}` ({label.lower()})" for value, label in NotificationPreference.choices))
    digest_weekday = serializers.IntegerField(
        required=False, help_text="Weekly digest day: " + ", ".join(f"{v} {label}" for v, label in Weekday.choices))
    digest_hour = serializers.IntegerField(required=False, help_text="0-23, in your time zone.")
    leaderboard_opt_out = serializers.BooleanField(required=False, help_text="Hide me from leaderboards.")
    advocate = serializers.BooleanField(required=False, help_text="Be an advocate (new content, digests).")


FIELDS = [*PreferencesForm._meta.fields, "advocate"]


def preferences_of(user: User) -> dict[str, Any]:
    return {**{name: getattr(user, name) for name in PreferencesForm._meta.fields}, "advocate": user.is_advocate}


def preferences_update(*, user: User, changes: dict[str, Any]) -> User:
    """Apply ``changes`` (a subset of FIELDS) through the portal's form; ApiError if it refuses."""
    form = PreferencesForm({**preferences_of(user), **changes}, instance=user)
    if not form.is_valid():
        name, messages = next(iter(form.errors.items()))
        raise ApiError("invalid", messages[0], field=None if name == "__all__" else name)
    with transaction.atomic():
        user = form.save()
        if form.cleaned_data["advocate"]:
            user_opt_in(user=user)
        else:
            user_opt_out(user=user)
    return user


_PREFERENCES = {
    "full_name": "Ann Lee", "job_title": "Solutions engineer", "location": "Berlin", "timezone": "Europe/Berlin",
    "language": "en", "notification_preference": "weekly", "digest_weekday": 0, "digest_hour": 9,
    "leaderboard_opt_out": False, "advocate": True,
}


@extend_schema_view(
    get=extend_schema(
        summary="My preferences",
        description="Your settings, as on the portal's preferences page.",
        examples=[OpenApiExample("Preferences", response_only=True, status_codes=["200"], value=_PREFERENCES)],
    ),
    patch=extend_schema(
        summary="Change my preferences",
        description=(
            "Change any of your settings (send only those you change), with the portal's rules: a known time zone "
            "and language, one of the notification choices, an hour from 0 to 23. `advocate: false` stops new "
            "content and digests. A refused change changes nothing (`error.field` names the setting)."
        ),
        request=PreferencesSerializer,
        examples=[
            OpenApiExample("Weekly digest on Friday at 8", request_only=True,
                           value={"notification_preference": "weekly", "digest_weekday": 4, "digest_hour": 8}),
            OpenApiExample("Saved", response_only=True, status_codes=["200"], value=_PREFERENCES),
        ],
    ),
)
class PreferencesView(generics.GenericAPIView):
    serializer_class = PreferencesSerializer
    pagination_class = None
    filter_backends: list = []

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(preferences_of(request.user)).data)

    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApiError("invalid", "Send an object of the settings to change.")
        unknown = sorted(set(request.data) - set(FIELDS))
        if unknown:
            raise ApiError("invalid", f"There is no setting “{unknown[0]}”.", field=unknown[0])
        payload = self.get_serializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        user = preferences_update(user=User.objects.get(pk=request.user.pk), changes=payload.validated_data)
        return Response(self.get_serializer(preferences_of(user)).data)
