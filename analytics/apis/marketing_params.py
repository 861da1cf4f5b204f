"""The query parameters of the marketing analytics API, read exactly as the analytics page
reads its filters: through ``AnalyticsFilterForm`` (the same named periods, the same date
limits, the same campaign / team / network / currency choices). The API only adds ISO
dates under the names ``from`` and ``to``, and refuses bad input with a 400 where the page
falls back to its default period.
"""

from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings

from analytics.forms import MAX_DAYS, AnalyticsFilterForm
from analytics.periods import PRESETS, utc_day
from analytics.selectors.dashboard import Filters
from content.models import Network

PERMISSION = "analytics.view_dashboard"


class ViewDashboard(BasePermission):
    """The analytics page's permission (Curators, Approvers, Admins)."""

    message = "You do not have permission to see the marketing analytics."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(PERMISSION))


# Authenticated, within the token's scope, and allowed to see the analytics page.
DASHBOARD_PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, ViewDashboard]

_PERIODS_HELP = ", ".join(f"`{key}` ({label.lower()})" for key, label in PRESETS.items())
# The form's names → the API's names, for the field at fault in an error.
_API_NAMES = {"start": "from", "end": "to"}


class _FilterQuerySerializer(serializers.Serializer):
    """Checks what it was given through the page's form; ``filters`` is the result."""

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        form = AnalyticsFilterForm(_form_data(attrs))
        if not form.is_valid():
            name, messages = next(iter(form.errors.items()))
            field = api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else _API_NAMES.get(name, name)
            raise serializers.ValidationError({field: messages[0]})
        attrs["filters"] = form.filters(utc_day(timezone.now()))
        return attrs


def _campaign() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, help_text="Only this campaign (its id).")


def _team() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, help_text="Only this team (its id).")


class CampaignQuerySerializer(_FilterQuerySerializer):
    campaign = _campaign()


class TeamQuerySerializer(_FilterQuerySerializer):
    team = _team()


class AnalyticsQuerySerializer(_FilterQuerySerializer):
    """``period`` (a named period) or ``from``/``to`` (ISO dates), and the page's filters."""

    campaign = _campaign()
    team = _team()
    period = serializers.ChoiceField(
        choices=list(PRESETS.items()), required=False,
        help_text=f"A named period, up to today (UTC): {_PERIODS_HELP}. Not together with `from`/`to`.",
    )
    network = serializers.ChoiceField(choices=Network.choices, required=False, help_text="Only this network.")
    currency = serializers.CharField(
        required=False, max_length=3,
        help_text="Currency of the earned media value: the default currency, or one that has EMV rates.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword: declared here rather than as class attributes.
        fields["from"] = serializers.DateField(
            required=False, input_formats=["iso-8601"],
            help_text=(
                "First day (ISO date, UTC days), included. Alone: a period of the default length from it. "
                f"The period is at most {MAX_DAYS} days long. Without `period`, `from` and `to`: the last "
                "28 days (the analytics page's default)."
            ),
        )
        fields["to"] = serializers.DateField(
            required=False, input_formats=["iso-8601"],
            help_text="Last day (ISO date, UTC days), included; not before `from`.",
        )
        return fields

    def validate(self, attrs: dict) -> dict:
        if attrs.get("period") and (attrs.get("from") or attrs.get("to")):
            raise serializers.ValidationError({"period": "Give either a named period or from/to dates, not both."})
        return super().validate(attrs)


def _form_data(attrs: dict) -> dict:
    data = {
        "period": attrs.get("period"), "start": attrs.get("from"), "end": attrs.get("to"),
        "campaign": attrs.get("campaign"), "team": attrs.get("team"), "network": attrs.get("network"),
        "currency": attrs.get("currency"),
    }
    return {key: value for key, value in data.items() if value not in (None, "")}


def read_query(request: Request, serializer_class: type[serializers.Serializer]) -> dict:
    """The validated query parameters (``filters``: the dashboard's ``Filters``), or a 400."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def read_filters(request: Request) -> Filters:
    return read_query(request, AnalyticsQuerySerializer)["filters"]
