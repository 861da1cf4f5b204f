"""Admin for the analytics settings (EMV rate versions, points rules) and read-only views
of what the workers record (API usage and X read spend, metrics, points, enrolment)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpRequest

from analytics.models import (
    ApiUsage,
    EmvRate,
    EnrolmentSnapshot,
    MetricsDenial,
    PointsEntry,
    PointsRule,
    ShareMetrics,
)
from analytics.services.emv import emv_rate_validate
from core.admin import ReadOnlyAdminMixin


class EmvRateForm(forms.ModelForm):
    class Meta:
        model = EmvRate
        fields = ("network", "currency", "effective_from", "cpc", "cpm", "reaction_multiplier", "note")

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            emv_rate_validate(self.instance, full_clean=False)
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(EmvRate)
class EmvRateAdmin(admin.ModelAdmin):
    """Versions are added, never edited: a change would silently rewrite past reports."""

    form = EmvRateForm
    list_display = ("network", "currency", "effective_from", "cpc", "cpm", "reaction_multiplier", "created_by")
    list_filter = ("network", "currency")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: EmvRate, form, change: bool) -> None:
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "points", "active", "updated_at")
    list_editable = ("points", "active")
    fields = ("kind", "points", "active")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("kind",) if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "user", "kind", "quantity", "unit_points", "points", "event_key")
    list_filter = ("kind", "day")
    search_fields = ("user__email", "user__full_name", "event_key")
    list_select_related = ("user",)
    show_full_result_count = False


@admin.register(ApiUsage)
class ApiUsageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "network", "calls", "posts_read", "billed_reads", "cost")
    list_filter = ("network",)
    date_hierarchy = "day"

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        try:
            qs = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        response.context_data["title"] = (
            f"Metrics API usage — total cost of the rows shown: ${qs.aggregate(t=Sum('cost'))['t'] or 0:.2f}"
        )
        return response


@admin.register(ShareMetrics)
class ShareMetricsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("share", "reactions", "comments", "reshares", "impressions", "polls", "next_poll_at", "note")
    list_select_related = ("share", "share__user", "share__item")
    show_full_result_count = False


@admin.register(EnrolmentSnapshot)
class EnrolmentSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "team", "employees", "invited", "enrolled", "connected")
    list_filter = ("team",)
    date_hierarchy = "day"


@admin.register(MetricsDenial)
class MetricsDenialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Metrics a network refused to an account; polling skips them until its scopes change.
    Deleting a row makes polling ask again."""

    read_only_may_delete = True
    list_display = ("account", "metrics", "scopes", "denied_at")
    list_select_related = ("account__user",)
    search_fields = ("account__user__email", "metrics")
