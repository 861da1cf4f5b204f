from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import User, timezone_choices


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Work email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


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
