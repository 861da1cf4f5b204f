"""The analytics filter form: bad input gets a clear error and the default period."""

from datetime import date, timedelta

from django import forms
from django.conf import settings

from accounts.models import Team
from analytics.models import EmvRate
from analytics.periods import PRESETS, DateRange, preset_period
from analytics.selectors.dashboard import Filters, default_period
from content.models import Campaign, Network

MAX_DAYS = 3 * 366


class AnalyticsFilterForm(forms.Form):
    period = forms.ChoiceField(choices=[("", "Custom dates"), *PRESETS.items()], required=False, label="Period")
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False, empty_label="All campaigns")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="All teams")
    network = forms.ChoiceField(choices=[("", "All networks"), *Network.choices], required=False)
    currency = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-status", "name")
        self.fields["team"].queryset = Team.objects.order_by("name")
        currencies = sorted(set(EmvRate.objects.values_list("currency", flat=True)) | {settings.ANALYTICS_CURRENCY})
        self.fields["currency"].choices = [(c, c) for c in currencies]
        self.show_currency = len(currencies) > 1

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError("Choose a period of at most three years.")
        return data

    def filters(self, today: date) -> Filters:
        """The filters to apply: the valid ones, or the defaults."""
        period = default_period(today)
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("start"), data.get("end")
        if data.get("period"):  # a quick period wins over dates (the page's script clears them)
            period = preset_period(data["period"], today) or period
        elif start or end:
            end = end or min(today, (start or today) + timedelta(days=settings.ANALYTICS_DEFAULT_DAYS - 1))
            start = start or end - timedelta(days=settings.ANALYTICS_DEFAULT_DAYS - 1)
            period = DateRange(start, end)
        campaign, team = data.get("campaign"), data.get("team")
        return Filters(
            period=period,
            campaign_id=campaign.pk if campaign else None,
            team_id=team.pk if team else None,
            network=data.get("network") or None,
            currency=data.get("currency") or settings.ANALYTICS_CURRENCY,
        )
