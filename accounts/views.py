"""Employee-facing account pages: invitation, preferences."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import PreferencesForm
from accounts.services.invitations import (
    InvitationError,
    invitation_accept,
    invitation_user_from_token,
)
from accounts.services.users import user_opt_in, user_opt_out


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = invitation_user_from_token(token)
    except InvitationError as exc:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=400
        )
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Chorus! You're now an advocate.")
        return redirect("home")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitee": user})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None, instance=user, initial={"advocate": user.is_advocate}
    )
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if form.cleaned_data["advocate"]:
            user_opt_in(user=user)
        else:
            user_opt_out(user=user)
        messages.success(request, "Your preferences are saved.")
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})
