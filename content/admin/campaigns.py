"""Campaigns and topics in admin."""

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from content.models import Campaign, ContentItem, ContentStatus, Topic
from content.progress import campaign_progress
from core.widths import width_class


class CampaignItemInline(admin.TabularInline):
    model = ContentItem
    fields = ("title", "status", "content_type", "published_at", "pinned")
    readonly_fields = fields
    show_change_link = True
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "Items in this campaign"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "starts_on", "ends_on", "priority", "item_count", "published_count",
                    "goals")
    list_filter = ("status",)
    search_fields = ("name", "description", "slug")
    prepopulated_fields = {"slug": ("name",)}
    date_hierarchy = "starts_on"
    inlines = [CampaignItemInline]
    readonly_fields = ("progress",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "status", "priority", "owner")}),
        ("Dates", {"fields": ("starts_on", "ends_on")}),
        ("Goals and tracking", {"fields": ("goal_shares", "goal_clicks", "utm_campaign", "progress")}),
    )
    autocomplete_fields = ("owner",)

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(
            _items=Count("items", distinct=True),
            _published=Count("items", filter=Q(items__status=ContentStatus.PUBLISHED), distinct=True),
        )

    @admin.display(description="items", ordering="_items")
    def item_count(self, obj: Campaign) -> int:
        return obj._items

    @admin.display(description="live", ordering="_published")
    def published_count(self, obj: Campaign) -> int:
        return obj._published

    @admin.display(description="goals")
    def goals(self, obj: Campaign) -> str:
        parts = []
        if obj.goal_shares:
            parts.append(f"{obj.goal_shares:,} shares")
        if obj.goal_clicks:
            parts.append(f"{obj.goal_clicks:,} clicks")
        return " · ".join(parts) or "—"

    @admin.display(description="progress towards goals")
    def progress(self, obj: Campaign) -> str:
        if not obj.pk:
            return "—"
        rows = campaign_progress(obj)
        if not rows:
            return "No goals set."
        return format_html_join(
            "",
            '<div class="chorus-progress"><span>{}</span><div class="chorus-bar"><div class="{}"></div>'
            "</div><span>{}</span></div>",
            ((row.label, width_class(row.percent), row.text) for row in rows),
        )


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "required", "item_count")
    list_filter = ("required",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_items=Count("items"))

    @admin.display(description="items", ordering="_items")
    def item_count(self, obj: Topic) -> int:
        return obj._items
