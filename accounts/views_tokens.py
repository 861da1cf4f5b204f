"""The portal's API tokens page: my tokens, a new one (shown once), revoke.

A new token is shown in the answer to the POST that made it, and nowhere else: it is
not put in the session or a message (both are stored), and the page is never cached.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiTokenScope
from accounts.services.api_tokens import (
    LIFETIME_CHOICES_DAYS,
    ApiTokenError,
    NewToken,
    api_token_create,
    api_token_revoke,
    api_tokens_for_user,
)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Name",
        help_text="What will use it, e.g. “Intranet widget” or “Sales dashboard script”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        choices=ApiTokenScope.choices, initial=ApiTokenScope.READ, widget=forms.RadioSelect, label="Access",
        help_text="Read only is enough to show the feed or your numbers elsewhere.",
    )
    expires_in_days = forms.TypedChoiceField(
        choices=[(d, f"{d} days") for d in LIFETIME_CHOICES_DAYS], coerce=int, initial=90,
        label="Expires after",
    )


def _page(request: HttpRequest, form: ApiTokenForm, new: NewToken | None = None, status: int = 200) -> HttpResponse:
    now = timezone.now()
    tokens = [(t, t.status(now)) for t in api_tokens_for_user(request.user)]
    context = {"form": form, "tokens": tokens, "new": new,
               "api_docs_url": reverse("api_docs")}
    return render(request, "accounts/api_tokens.html", context, status=status)


@login_required
@never_cache  # no-store: the new token must not stay in any cache
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            new = api_token_create(user=request.user, **form.cleaned_data)
        except ApiTokenError as exc:
            form.add_error(None, str(exc))
        else:
            return _page(request, ApiTokenForm(), new=new, status=201)
    return _page(request, form, status=400)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(api_tokens_for_user(request.user), pk=token_id)  # another person's: 404
    if api_token_revoke(token=token):
        messages.success(request, f"“{token.name}” is revoked: it stops working now.")
    return redirect("api_tokens")
