from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserChangeForm,
)
from django.contrib.auth.models import Group

from accounts.lockout import login_allowed, login_failed
from accounts.models import User, timezone_choices
from accounts.roles import ADMIN
from accounts.services.users import groups_grantable_by, role_change_problem


def password_login_allowed(user: User) -> bool:
    """With ``PASSWORD_LOGIN_ADMINS_ONLY`` (everyone else signs in through single sign-on)
    only Admins and superusers use a password: their break-glass door."""
    return not settings.PASSWORD_LOGIN_ADMINS_ONLY or user.is_superuser or user.has_role(ADMIN)


SSO_ONLY_MESSAGE = (
    "Password login is turned off for your account: sign in with your company account "
    "(the “Sign in with …” button on the login page)."
)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Work email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not password_login_allowed(user):
            raise forms.ValidationError(SSO_ONLY_MESSAGE, code="password_login_off")


class AdminPasswordLoginForm(AdminAuthenticationForm):
    """The admin's login page, with the same rule (Curators and Approvers are staff too)."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not password_login_allowed(user):
            raise forms.ValidationError(SSO_ONLY_MESSAGE, code="password_login_off")


class AdminOnlyPasswordResetForm(PasswordResetForm):
    """Password reset emails go to the people who may use a password (see above); the
    page says "check your email" either way, so it tells nobody who is an Admin."""

    def get_users(self, email: str):
        return (user for user in super().get_users(email) if password_login_allowed(user))


class RoleSafeUserChangeForm(UserChangeForm):
    """The admin's user change form, with the role safety rules on ``groups``.

    The admin sets ``editor`` (the signed-in user) on the form class it builds for
    each request. A non-superuser is offered only the groups they may grant (never
    Admin) plus those the user already has (so they show, and stay: removing one
    they may not grant is refused, like adding one).
    """

    editor: User | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("groups")
        if field is None or self.editor is None or self.editor.is_superuser:
            return
        current = self.instance.groups.all() if self.instance.pk else Group.objects.none()
        field.queryset = (
            groups_grantable_by(self.editor) | Group.objects.filter(pk__in=current.values("pk"))
        ).distinct().order_by("name")
        field.error_messages["invalid_choice"] = (
            "You may not grant this role: only a superuser can grant the Admin role "
            "or a role with permissions you do not have."
        )

    def clean_groups(self):
        groups = self.cleaned_data["groups"]
        if self.editor is None:
            return groups
        before = set(self.instance.groups.values_list("name", flat=True)) if self.instance.pk else set()
        problem = role_change_problem(
            editor=self.editor, user=self.instance, before=before, after={g.name for g in groups}
        )
        if problem:
            raise forms.ValidationError(problem)
        return groups


class EmployeeImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row: email, name, team, location, title, timezone (an IANA "
        "name such as Europe/Berlin; empty: the company default in programme settings).",
    )
    send_invitations = forms.BooleanField(
        required=False, initial=True, label="Email an invitation to every imported employee"
    )
    validate_only = forms.BooleanField(
        required=False, label="Only check the file (import nothing)"
    )


class PreferencesForm(forms.ModelForm):
    advocate = forms.BooleanField(
        required=False,
        label="I want to be an advocate",
        help_text="Advocates get new content and the weekly digest. You can stop any time.",
    )

    class Meta:
        model = User
        fields = [
            "full_name",
            "job_title",
            "location",
            "timezone",
            "language",
            "notification_preference",
            "digest_weekday",
            "digest_hour",
            "leaderboard_opt_out",
        ]
        widgets = {
            "digest_hour": forms.NumberInput(attrs={"min": 0, "max": 23}),
            "timezone": forms.Select(choices=timezone_choices),
            "language": forms.Select(choices=settings.LANGUAGES),
            # Radio buttons, not a select: the choices are sentences, cut off in a select on a phone.
            "notification_preference": forms.RadioSelect,
        }
        help_texts = {
            "notification_preference": "Instant emails and the daily digest come with the weekly digest "
            "(on its day it replaces the daily one). “Only show it in Chorus” and “No notifications” "
            "send no email at all.",
            "digest_hour": "0-23, in your time zone: when the weekly (and daily) digest arrives.",
        }
        labels = {
            "notification_preference": "When there is new content",
            "digest_weekday": "Weekly digest day",
            "digest_hour": "Digest hour (your time)",
            "leaderboard_opt_out": "Hide me from leaderboards",
        }


class AccountDeleteForm(forms.Form):
    """The "Delete my account" form: confirmed with the password of the account being deleted."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, request=None, **kwargs) -> None:
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        check_password_limited(self.request, self.user, password,
                               wrong="That is not your password. Nothing was deleted.")
        return password


def check_password_limited(request, user: User, password: str, *, wrong: str) -> None:
    """A password check outside the login page counts towards the same lockout (a stolen
    session must not be a way to guess the password without limit)."""
    if request is not None and not login_allowed(request, username=user.email):
        raise forms.ValidationError(TOO_MANY_ATTEMPTS)
    if not user.check_password(password):
        if request is not None:
            login_failed(request, username=user.email)
        raise forms.ValidationError(wrong)


TOO_MANY_ATTEMPTS = "Too many wrong passwords. Try again later."


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the old password checked under the lockout."""

    def __init__(self, user, *args, request=None, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old = self.cleaned_data["old_password"]
        check_password_limited(self.request, self.user, old,
                               wrong=self.error_messages["password_incorrect"])
        return old


class LeaverDeleteForm(forms.Form):
    """The admin's confirmation that a leaver's account is to be deleted."""

    confirm = forms.BooleanField(
        label="I understand that this cannot be undone",
        error_messages={"required": "Tick the box to confirm. Nothing was deleted."},
    )
    note = forms.CharField(
        label="Note for the audit log (optional)", required=False, max_length=500,
        help_text="For example: left the company on 31 March. Do not write personal details here.",
    )
