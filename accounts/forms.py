from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm
from django.contrib.auth.models import Group

from accounts.models import User, timezone_choices
from accounts.services.users import groups_grantable_by, role_change_problem


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Work email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


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
        help_text="UTF-8 CSV with a header row: email, name, team, location, title.",
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
