"""Feed sources, employee suggestions and compliance settings in admin."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from content.models import ComplianceSettings, ContentSuggestion, FeedSource, SuggestionStatus
from content.services.feed_import import feed_import
from content.services.suggestions import suggestion_accept, suggestion_reject
from content.services.workflow import WorkflowError


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "is_active", "last_polled_at", "next_poll_at", "health", "daily_cap")
    list_filter = ("is_active", "default_campaign")
    search_fields = ("name", "url")
    filter_horizontal = ("default_topics", "target_teams")
    readonly_fields = ("last_polled_at", "next_poll_at", "last_error", "last_error_at")
    actions = ["poll_now"]

    @admin.display(description="status")
    def health(self, obj: FeedSource) -> str:
        if obj.last_error:
            return format_html('<span class="chorus-badge chorus-badge-red" title="{}">error</span>', obj.last_error)
        if obj.last_polled_at:
            return format_html('<span class="chorus-badge chorus-badge-green">ok</span>')
        return "not polled yet"

    @admin.action(description="Poll now")
    def poll_now(self, request: HttpRequest, queryset) -> None:
        for source in queryset:
            result = feed_import(source=source)
            if result.error:
                self.message_user(request, f"{source.name}: {result.error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{source.name}: {result.created} new draft(s), {result.duplicates} already known, "
                    f"{result.over_cap} over today's cap.",
                    messages.SUCCESS,
                )


@admin.register(ContentSuggestion)
class ContentSuggestionAdmin(admin.ModelAdmin):
    list_display = ("url", "suggested_by", "status", "created_at", "reviewed_by")
    list_filter = ("status",)
    search_fields = ("url", "note", "suggested_by__email", "suggested_by__full_name")
    readonly_fields = ("suggested_by", "url", "note", "status", "item", "reviewed_by", "reviewed_at", "created_at")
    fields = ("suggested_by", "url", "note", "item", "status", "response", "reviewed_by", "reviewed_at", "created_at")
    change_form_template = "admin/content/contentsuggestion/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def response_change(self, request: HttpRequest, obj: ContentSuggestion):
        message = request.POST.get("response", "")
        try:
            if "_accept" in request.POST:
                suggestion_accept(suggestion=obj, user=request.user, message=message)
                self.message_user(request, "Accepted. The draft is in the library for you to finish.", messages.SUCCESS)
                if obj.item_id:
                    return HttpResponseRedirect(reverse("admin:content_contentitem_change", args=[obj.item_id]))
            elif "_reject" in request.POST:
                suggestion_reject(suggestion=obj, user=request.user, message=message)
                self.message_user(request, "Rejected. The employee will see your message.", messages.SUCCESS)
        except WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, *args, **kwargs):
        obj = kwargs.get("obj")
        context["pending"] = bool(obj and obj.status == SuggestionStatus.PENDING)
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(ComplianceSettings)
class ComplianceSettingsAdmin(admin.ModelAdmin):
    fields = ("default_disclosure", "blocked_words")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ComplianceSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        obj = ComplianceSettings.load()
        return HttpResponseRedirect(reverse("admin:content_compliancesettings_change", args=[obj.pk]))
