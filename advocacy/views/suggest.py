"""Employees suggest content for colleagues to share."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from content.models import ContentSuggestion
from content.services.suggestions import SuggestionMerge, suggestion_create, suggestion_merge_reason


class SuggestionForm(forms.Form):
    # A plain text box (with the URL keyboard on phones): "example.com/article" is fine, the
    # service adds https:// (a type=url box would refuse it before the server sees it).
    url = forms.CharField(label="Link", max_length=2000, widget=forms.TextInput(
        attrs={"placeholder": "example.com/article", "inputmode": "url", "autocomplete": "url", "spellcheck": "false"}))
    note = forms.CharField(
        label="Why is it worth sharing? (optional)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _thanks(merge: str) -> str:
    if merge == SuggestionMerge.ALREADY_SUGGESTED:
        return ("Thanks! This link was already suggested and is waiting for review: "
                "we added your suggestion to it rather than making a second one.")
    if merge == SuggestionMerge.IN_LIBRARY:
        return ("Thanks! This link is already in the library, so no new suggestion was made: "
                "the marketing team sees that you suggested it too.")
    return "Thanks! The marketing team will review your suggestion."


@login_required
@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    form = SuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suggestion = suggestion_create(user=request.user, url=form.cleaned_data["url"],
                                           note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error("url", exc)
        else:
            messages.success(request, _thanks(suggestion_merge_reason(suggestion)))
            return redirect("suggest")
    mine = ContentSuggestion.objects.filter(suggested_by=request.user).order_by("-created_at")[:20]
    return render(request, "advocacy/suggest.html", {"form": form, "suggestions": mine},
                  status=400 if form.errors else 200)
