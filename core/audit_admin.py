"""The audit log in the admin: read-only, searchable, filterable, exportable as CSV.

Who may read it: Admins (the role holds every ``auditlog`` permission, ``change_logentry``
among them) see everything; Approvers (``view_logentry`` only) see what concerns content.
Nobody adds, edits or deletes an entry, here or anywhere (``core.audit`` refuses it).
"""

import json
from collections.abc import Iterator

from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.csv_stream import csv_lines

FULL_ACCESS = "auditlog.change_logentry"
# What Approvers may read: the content library's entries.
CONTENT_APPS = ("content",)


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        from auditlog.registry import auditlog

        types = [ContentType.objects.get_for_model(m, for_concrete_model=False) for m in auditlog.get_models()]
        if not request.user.has_perm(FULL_ACCESS) and not request.user.is_superuser:
            types = [t for t in types if t.app_label in CONTENT_APPS]
        extra = ContentType.objects.filter(app_label="advocacy", model="share")
        if request.user.has_perm(FULL_ACCESS) or request.user.is_superuser:
            types += list(extra)
        return sorted(((t.pk, str(t.model_class()._meta.verbose_name).capitalize()) for t in types
                       if t.model_class()), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(content_type_id=self.value()) if self.value() else queryset


class EventFilter(admin.SimpleListFilter):
    """What happened, in words, for entries written by ``core.audit.record``."""

    title = "event"
    parameter_name = "event"
    EVENTS = [
        "share posted", "revision proposed", "revision approved", "revision rejected", "confirmed consequences",
        "publish", "schedule", "approve", "submit", "archive", "return_to_draft", "restore", "expire",
        "texts", "import", "invitation requested", "invitation sent", "data exported", "account deleted",
    ]

    def lookups(self, request, model_admin):
        return [(e, e) for e in self.EVENTS]

    def queryset(self, request, queryset):
        return queryset.filter(additional_data__event=self.value()) if self.value() else queryset


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "who", "action_col", "event_col", "object_col", "changes_col")
    list_filter = ("action", EventFilter, ObjectTypeFilter, ("timestamp", admin.DateFieldListFilter))
    search_fields = ("object_repr", "object_pk", "actor_email", "actor__email", "actor__full_name")
    date_hierarchy = "timestamp"
    list_select_related = ("content_type", "actor")
    list_per_page = 100
    show_full_result_count = False
    fields = ("timestamp", "who", "remote_addr", "action_col", "event_col", "object_col", "changes_table",
              "extra_col")
    readonly_fields = fields
    change_list_template = "admin/auditlog/logentry/change_list.html"

    class Media:
        css = {"all": ["css/admin-governance.css"]}

    # ----- who reads what -----
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser or request.user.has_perm(FULL_ACCESS):
            return qs
        return qs.filter(content_type__app_label__in=CONTENT_APPS)

    def lookup_allowed(self, lookup, value, request=None):
        # Links from an object or a person: ?object_pk=…&content_type__id__exact=… / ?actor__id__exact=…
        if lookup in {"object_pk", "actor__id__exact", "content_type__id__exact"}:
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}

    # ----- columns -----
    @admin.display(description="who", ordering="actor_email")
    def who(self, obj: LogEntry) -> str:
        if obj.actor_id:
            return obj.actor.email
        return obj.actor_email or "system"

    @admin.display(description="action", ordering="action")
    def action_col(self, obj: LogEntry) -> str:
        return obj.get_action_display()

    @admin.display(description="event")
    def event_col(self, obj: LogEntry) -> str:
        return (obj.additional_data or {}).get("event", "")

    @admin.display(description="object")
    def object_col(self, obj: LogEntry) -> str:
        model = obj.content_type.model_class()
        kind = str(model._meta.verbose_name).capitalize() if model else obj.content_type.model
        return format_html("{} #{}<br><small>{}</small>", kind, obj.object_pk, obj.object_repr[:200])

    @admin.display(description="changes")
    def changes_col(self, obj: LogEntry) -> str:
        return _changes_text(obj)[:300]

    @admin.display(description="before → after")
    def changes_table(self, obj: LogEntry) -> str:
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", (
            (field, before, after) for field, (before, after) in _pairs(obj)
        ))
        if not rows:
            return "—"
        return format_html('<table class="chorus-diff"><tr><th>Field</th><th>Before</th><th>After</th></tr>{}'
                           "</table>", rows)

    @admin.display(description="details")
    def extra_col(self, obj: LogEntry) -> str:
        extra = {k: v for k, v in (obj.additional_data or {}).items() if k != "event"}
        return json.dumps(extra, ensure_ascii=False, indent=1) if extra else "—"

    # ----- CSV export of what the filters show -----
    def get_urls(self):
        return [path("export.csv", self.admin_site.admin_view(self.export_view),
                     name="auditlog_logentry_export")] + super().get_urls()

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse("You may not read the audit log.", status=403)
        changelist = self.get_changelist_instance(request)
        rows = changelist.get_queryset(request).select_related("content_type", "actor").order_by("timestamp", "pk")
        response = StreamingHttpResponse(csv_lines(_csv_rows(self, rows)), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="chorus-audit-log-{stamp}.csv"'
        return response


def _pairs(obj: LogEntry):
    for field, value in (obj.changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            yield field, tuple(value)
        elif isinstance(value, dict) and value.get("type") == "m2m":
            verb = "added" if value.get("operation") == "add" else "removed"
            yield field, ("", f"{verb}: {', '.join(value.get('objects', []))}")
        else:
            yield field, ("", json.dumps(value, ensure_ascii=False))


def _changes_text(obj: LogEntry) -> str:
    return "; ".join(f"{f}: {b} → {a}" for f, (b, a) in _pairs(obj))


def _csv_rows(model_admin: AuditLogAdmin, rows: QuerySet) -> Iterator[list]:
    yield ["timestamp", "who", "address", "action", "event", "object type", "object id", "object", "changes",
           "details"]
    for obj in rows.iterator(chunk_size=2000):
        model = obj.content_type.model_class()
        yield [
            obj.timestamp.isoformat(), model_admin.who(obj), obj.remote_addr or "", obj.get_action_display(),
            model_admin.event_col(obj), model._meta.label if model else obj.content_type.model, obj.object_pk,
            obj.object_repr, _changes_text(obj),
            json.dumps({k: v for k, v in (obj.additional_data or {}).items() if k != "event"}, ensure_ascii=False),
        ]
