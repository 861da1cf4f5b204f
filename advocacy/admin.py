"""Admin for connections, shares and programme settings. Tokens are never shown."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.models import CompanyDefaults, timezone_choices
from advocacy.models import PolicyVersion, ProgrammeSettings, Share, SocialAccount
from advocacy.services.onboarding import policy_acceptance_counts, policy_publish
from advocacy.services.sharing import x_month_spend
from core.admin import ReadOnlyAdminMixin
from core.widths import width_class


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "network", "handle", "status", "expires_at", "audience_size", "connected_at")
    list_filter = ("network", "status")
    search_fields = ("user__email", "user__full_name", "handle", "display_name", "remote_id")
    list_select_related = ("user",)
    # The token fields are deliberately absent: secrets are never shown again.
    fields = ("user", "network", "remote_id", "handle", "display_name", "audience_size", "scopes", "status",
              "expires_at", "refresh_expires_at", "last_error", "connected_at", "last_refreshed_at")
    readonly_fields = ("user", "network", "remote_id", "handle", "display_name", "scopes", "expires_at",
                       "refresh_expires_at", "last_error", "connected_at", "last_refreshed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Share)
class ShareAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", "item", "network", "status", "attempts", "link", "cost_estimate")
    list_filter = ("status", "network", "item__campaign")
    search_fields = ("user__email", "user__full_name", "item__title", "remote_id", "link_code")
    list_select_related = ("user", "item")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Share._meta.fields]
    read_only_may_delete = True

    @admin.display(description="post")
    def link(self, obj: Share) -> str:
        if obj.remote_url:
            return format_html('<a href="{}" target="_blank" rel="noopener">view</a>', obj.remote_url)
        return obj.error_message[:60] or "—"


class ProgrammeSettingsForm(forms.ModelForm):
    """Programme settings, plus the company's default time zone (kept in accounts, which the
    employee import reads: ``accounts.models.CompanyDefaults``)."""

    default_timezone = forms.ChoiceField(
        label="Default time zone", choices=timezone_choices,
        help_text="Employees imported without a time zone get this one (their digests arrive at their "
        "local hour). Each employee can change theirs in their preferences.",
    )

    class Meta:
        model = ProgrammeSettings
        fields = ("x_monthly_budget", "social_media_policy")
        widgets = {"social_media_policy": forms.Textarea(attrs={"rows": 12, "cols": 80})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_timezone"].initial = CompanyDefaults.load().default_timezone


@admin.register(ProgrammeSettings)
class ProgrammeSettingsAdmin(admin.ModelAdmin):
    form = ProgrammeSettingsForm
    fieldsets = (
        ("X", {"fields": ("x_monthly_budget", "x_spend")}),
        ("Social media policy", {"fields": ("social_media_policy", "policy_versions")}),
        ("New employees", {"fields": ("default_timezone",)}),
    )
    readonly_fields = ("x_spend", "policy_versions")

    def save_model(self, request: HttpRequest, obj: ProgrammeSettings, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        version = policy_publish(text=obj.social_media_policy, actor=request.user)
        if version is not None and version.text:
            self.message_user(request, f"The policy is now version {version.number}: everyone accepts it again "
                                       "at their next visit.")
        defaults = CompanyDefaults.load()
        if defaults.default_timezone != form.cleaned_data["default_timezone"]:
            defaults.default_timezone = form.cleaned_data["default_timezone"]
            defaults.save(update_fields=["default_timezone"])

    @admin.display(description="Versions")
    def policy_versions(self, obj: ProgrammeSettings) -> str:
        versions = list(PolicyVersion.objects.select_related("created_by")[:10])
        if not versions:
            return "No policy yet: employees are not asked to accept one."
        rows = []
        for i, v in enumerate(versions):
            accepted, advocates = policy_acceptance_counts(v) if i == 0 else (None, None)
            status = (f"current: accepted by {accepted} of {advocates} advocates" if i == 0 and v.text
                      else "current: no policy" if i == 0 else "earlier")
            rows.append((v.number, f"{v.created_at:%d %b %Y %H:%M}", v.created_by or "—", status))
        return format_html(
            "<table><thead><tr><th>Version</th><th>Saved</th><th>By</th><th></th></tr></thead><tbody>{}</tbody>"
            "</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="X spend this month (estimated)")
    def x_spend(self, obj: ProgrammeSettings) -> str:
        spent = x_month_spend()
        budget = obj.x_monthly_budget or 0
        percent = min(100, round(100 * spent / budget)) if budget else 100
        return format_html(
            '<div class="chorus-progress"><span>${} of ${}</span><div class="chorus-bar"><div class="{}">'
            "</div></div><span>{}%</span></div><p class=\"help\">Each X post costs about $0.20 with a link, "
            "$0.015 without (X's pay-per-use prices); reads for metrics are extra.</p>",
            f"{spent:.2f}", f"{budget:.2f}", width_class(percent), percent,
        )

    class Media:
        css = {"all": ["css/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ProgrammeSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        obj = ProgrammeSettings.load()
        return HttpResponseRedirect(reverse("admin:advocacy_programmesettings_change", args=[obj.pk]))
