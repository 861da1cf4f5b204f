"""Django admin for people and teams, with the employee CSV import."""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.forms import EmployeeImportForm, LeaverDeleteForm, RoleSafeUserChangeForm
from accounts.models import Team, User
from accounts.roles import STAFF_ROLES
from accounts.services.imports import employees_import, employees_parse_csv
from accounts.services.invitations import invitations_mark_pending
from accounts.services.privacy import (
    PrivacyRefused,
    account_delete,
    account_deletion_problem,
    is_deleted_account,
    personal_data_export,
    personal_data_problem,
    personal_data_summary,
)
from accounts.services.users import active_change_problem, describe_roles, user_deactivate, user_reactivate

# Never in a non-superuser's form: they could raise anyone's permissions (their own too).
_SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")
# Read-only for a non-superuser on their own account: no self-promotion, -demotion
# or -deactivation.
_OWN_ACCESS_FIELDS = ("is_active", "groups", "is_staff")


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
    actions = ["send_invitation", "deactivate", "reactivate"]
    form = RoleSafeUserChangeForm

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    # Role safety -------------------------------------------------------------
    # Only a superuser grants superuser or the Admin role (RoleSafeUserChangeForm
    # limits the groups); a non-superuser cannot raise their own permissions, nor
    # edit, delete or re-invite a superuser (nor set a superuser's password:
    # user_change_password checks has_change_permission(request, user)).

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        fields += _SUPERUSER_ONLY_FIELDS
        if obj is not None and obj.pk == request.user.pk:
            fields += _OWN_ACCESS_FIELDS
        return fields

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # modelform_factory builds a new class on every call: this is per request.
        form.editor = request.user
        return form

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        active = obj.is_active
        if change:
            before = User.objects.filter(pk=obj.pk).values("is_staff", "is_superuser", "is_active").first() or {}
            obj._access_before = {
                "groups": frozenset(obj.groups.values_list("name", flat=True)),
                "staff": before.get("is_staff", False),
                "superuser": before.get("is_superuser", False),
            }
            # Unticking "active" is a deactivation, with its side effects (user_deactivate):
            # the form's save keeps the old value, the service changes it.
            obj.is_active = before.get("is_active", active)
        else:
            obj._access_before = {"groups": frozenset(), "staff": False, "superuser": False}
        super().save_model(request, obj, form, change)
        if change and active != obj.is_active:
            change_active = user_reactivate if active else user_deactivate
            change_active(user=obj, by=request.user, source="admin")

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        staff = user.is_superuser or user.groups.filter(name__in=STAFF_ROLES).exists()
        if staff != user.is_staff:
            User.objects.filter(pk=user.pk).update(is_staff=staff)
            user.is_staff = staff
        user.__dict__.pop("role_names", None)
        self._log_access_change(request, user)

    def _log_access_change(self, request: HttpRequest, user: User) -> None:
        """A LogEntry naming the roles (and staff/superuser flags) before → after."""
        before = getattr(user, "_access_before", None)
        if before is None:
            return
        after = {
            "groups": frozenset(user.groups.values_list("name", flat=True)),
            "staff": user.is_staff,
            "superuser": user.is_superuser,
        }
        parts = []
        if before["groups"] != after["groups"]:
            parts.append(f"Roles: {describe_roles(before['groups'])} → {describe_roles(after['groups'])}")
        for flag, label in (("superuser", "superuser"), ("staff", "staff")):
            if before[flag] != after[flag]:
                parts.append(f"{label}: {'yes' if before[flag] else 'no'} → {'yes' if after[flag] else 'no'}")
        if parts:
            self.log_change(request, user, "; ".join(parts) + ".")

    @admin.display(description="advocate", boolean=True, ordering="advocate_opted_in_at")
    def is_advocate_col(self, obj: User) -> bool:
        return obj.advocate_opted_in_at is not None

    @admin.display(description="roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    @admin.action(description="Send (or re-send) the invitation email")
    def send_invitation(self, request: HttpRequest, queryset: QuerySet) -> None:
        pending = queryset.filter(invitation_accepted_at__isnull=True)
        skipped = 0
        if not request.user.is_superuser:
            # Accepting an invitation sets the password: not for a superuser unless one asks.
            skipped = pending.filter(is_superuser=True).count()
            pending = pending.filter(is_superuser=False)
        ids = list(pending.values_list("pk", flat=True))
        invitations_mark_pending(user_ids=ids)
        self.message_user(request, f"{len(ids)} invitation(s) queued.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} superuser(s) skipped: only a superuser can invite a superuser.", messages.WARNING
            )

    # Deactivation (accounts.services.users) -------------------------------------
    # The same as unticking "active": the person's shares waiting to go out are cancelled
    # and their LinkedIn and X connections revoked at once. Never yourself; a superuser
    # only by a superuser (has_change_permission).

    def _active_change_targets(self, request: HttpRequest, queryset: QuerySet) -> tuple[list[User], int]:
        allowed = [u for u in queryset if active_change_problem(editor=request.user, user=u) is None]
        return allowed, len(queryset) - len(allowed)

    def _change_active(self, request: HttpRequest, queryset: QuerySet, *, active: bool) -> None:
        users, skipped = self._active_change_targets(request, queryset)
        change_active = user_reactivate if active else user_deactivate
        changed = sum(change_active(user=user, by=request.user, source="admin") for user in users)
        verb = "reactivated" if active else "deactivated"
        self.message_user(request, f"{changed} person(s) {verb}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} skipped: not your own account, and a superuser's only by a superuser.",
                messages.WARNING,
            )

    @admin.action(description="Deactivate (cancel their pending shares, revoke their connections)",
                  permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._change_active(request, queryset, active=False)

    @admin.action(description="Reactivate", permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._change_active(request, queryset, active=True)

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="accounts_user_import",
            ),
            path(
                "<int:user_id>/export-data/",
                self.admin_site.admin_view(self.export_data_view),
                name="accounts_user_export_data",
            ),
            path(
                "<int:user_id>/delete-account/",
                self.admin_site.admin_view(self.delete_account_view),
                name="accounts_user_delete_account",
            ),
        ]
        return custom + urls

    # A leaver's data (accounts.services.privacy) ------------------------------
    # Export and anonymising deletion, for Admins (and superusers) only; a superuser's
    # only by a superuser; never your own account here (My data is the way for that).

    def _leaver_problem(self, request: HttpRequest, user: User, *, deleting: bool) -> str | None:
        if deleting and user.pk == request.user.pk:
            return "You cannot delete your own account here: use My data in your preferences."
        if deleting:
            return account_deletion_problem(actor=request.user, user=user)
        return personal_data_problem(actor=request.user, user=user)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        user = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if user is not None:
            extra_context["can_export_data"] = self._leaver_problem(request, user, deleting=False) is None
            extra_context["can_delete_account"] = self._leaver_problem(request, user, deleting=True) is None
            extra_context["account_deleted"] = is_deleted_account(user)
        return super().change_view(request, object_id, form_url, extra_context)

    def export_data_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        user = get_object_or_404(User, pk=user_id)
        problem = self._leaver_problem(request, user, deleting=False)
        if problem:
            return HttpResponse(problem, status=403, content_type="text/plain; charset=utf-8")
        export = personal_data_export(user=user, actor=request.user)
        response = FileResponse(export.file, as_attachment=True, filename=export.filename,
                                content_type="application/zip")
        response["Cache-Control"] = "no-store"
        return response

    def delete_account_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """Confirmation page (what is deleted, what is kept); POST deletes."""
        user = get_object_or_404(User, pk=user_id)
        problem = self._leaver_problem(request, user, deleting=True)
        form = LeaverDeleteForm(request.POST or None)
        if request.method == "POST" and not problem and form.is_valid():
            name = str(user)
            try:
                result = account_delete(user=user, actor=request.user, note=form.cleaned_data["note"])
            except PrivacyRefused as exc:
                problem = str(exc)
            else:
                counts = "; ".join(f"{what}: {n}" for what, n in result.counts.items() if n)
                self.message_user(
                    request, f"The account of {name} was deleted{': ' + counts if counts else ''}.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:accounts_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete account (leaver)",
            "opts": self.model._meta,
            "original": user,
            "form": form,
            "problem": problem,
            "sections": personal_data_summary(user),
        }
        status = 403 if problem else (400 if request.method == "POST" else 200)
        return TemplateResponse(request, "admin/accounts/user/delete_account.html", context, status=status)

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


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(BaseGroupAdmin):
    """Roles are groups whose permissions come from ``accounts.roles`` (re-synced after every
    migrate), so editing them here would be undone; and letting an Admin edit their own
    group would let them raise their own permissions. Only a superuser may change groups."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser
