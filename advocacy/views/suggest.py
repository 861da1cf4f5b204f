"""Employees suggest content for colleagues to share."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from content.models import ContentSuggestion
from content.services.suggestions import suggestion_create


class SuggestionForm(forms.Form):
    url = forms.CharField(label="Link", max_length=2000, widget=forms.URLInput(attrs={"placeholder": "https://"}))
    note = forms.CharField(
        label="Why is it worth sharing? (optional)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    form = SuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suggestion_create(user=request.user, url=form.cleaned_data["url"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error("url", exc)
        else:
            messages.success(request, "Thanks! The marketing team will review your suggestion.")
            return redirect("suggest")
    mine = ContentSuggestion.objects.filter(suggested_by=request.user).order_by("-created_at")[:20]
    return render(request, "advocacy/suggest.html", {"form": form, "suggestions": mine},
                  status=400 if form.errors else 200)
