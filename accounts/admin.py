"""Django admin for people and teams, with the employee CSV import."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.forms import EmployeeImportForm
from accounts.models import Team, User
from accounts.roles import STAFF_ROLES
from accounts.services.imports import employees_import, employees_parse_csv
from accounts.services.invitations import invitations_mark_pending


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "member_count", "advocate_count")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(
            _members=Count("members", distinct=True),
            _advocates=Count(
                "members", filter=Q(members__advocate_opted_in_at__isnull=False), distinct=True
            ),
        )

    @admin.display(description="members", ordering="_members")
    def member_count(self, obj: Team) -> int:
        return obj._members

    @admin.display(description="advocates", ordering="_advocates")
    def advocate_count(self, obj: Team) -> int:
        return obj._advocates


class AdvocateFilter(admin.SimpleListFilter):
    title = "advocate"
    parameter_name = "advocate"

    def lookups(self, request, model_admin):
        return [("yes", "Opted in"), ("no", "Not opted in"), ("invited", "Invited, not accepted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(advocate_opted_in_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(advocate_opted_in_at__isnull=True)
        if self.value() == "invited":
            return queryset.filter(invited_at__isnull=False, invitation_accepted_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_list_template = "admin/accounts/user/change_list.html"
    ordering = ("full_name", "email")
    list_display = ("email", "full_name", "team", "location", "is_advocate_col", "roles", "is_active")
    list_filter = (AdvocateFilter, "team", "groups", "location", "is_active", "is_staff")
    search_fields = ("email", "full_name", "job_title", "location", "team__name")
    list_select_related = ("team",)
    readonly_fields = ("last_login", "date_joined", "invited_at", "invitation_sent_at", "invitation_accepted_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "job_title", "team", "location", "timezone", "language")}),
        (
            "Advocacy",
            {
                "fields": (
                    "advocate_opted_in_at",
                    "notification_preference",
                    "digest_weekday",
                    "digest_hour",
                    "leaderboard_opt_out",
                )
            },
        ),
        ("Roles and access", {"fields": ("is_active", "groups", "is_staff", "is_superuser")}),
        (
            "Dates",
            {"fields": ("last_login", "date_joined", "invited_at", "invitation_sent_at", "invitation_accepted_at")},
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "team", "password1", "password2")}),
    )
    filter_horizontal = ("groups",)
    actions = ["send_invitation"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="advocate", boolean=True, ordering="advocate_opted_in_at")
    def is_advocate_col(self, obj: User) -> bool:
        return obj.advocate_opted_in_at is not None

    @admin.display(description="roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        staff = user.is_superuser or user.groups.filter(name__in=STAFF_ROLES).exists()
        if staff != user.is_staff:
            User.objects.filter(pk=user.pk).update(is_staff=staff)

    @admin.action(description="Send (or re-send) the invitation email")
    def send_invitation(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.filter(invitation_accepted_at__isnull=True).values_list("pk", flat=True))
        invitations_mark_pending(user_ids=ids)
        self.message_user(request, f"{len(ids)} invitation(s) queued.", messages.SUCCESS)

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="accounts_user_import",
            )
        ]
        return custom + urls

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse("You may not import employees.", status=403)
        report = None
        form = EmployeeImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            if form.cleaned_data["validate_only"]:
                report = employees_parse_csv(data)
            else:
                report = employees_import(data=data, invite=form.cleaned_data["send_invitations"])
                if report.ok:
                    self.message_user(
                        request,
                        f"Imported {report.created} employee(s)."
                        + (" Invitations are on their way." if form.cleaned_data["send_invitations"] else ""),
                        messages.SUCCESS,
                    )
                    return redirect(reverse("admin:accounts_user_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import employees from CSV",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "status_code": 400 if report and not report.ok else 200,
        }
        return TemplateResponse(
            request,
            "admin/accounts/user/import.html",
            context,
            status=400 if report and not report.ok else 200,
        )
