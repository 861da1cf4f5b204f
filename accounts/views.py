"""Employee-facing account pages: invitation, preferences, My data (export, deletion), password reset."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import PasswordChangeView, PasswordResetView
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import (
    AccountDeleteForm,
    AdminOnlyPasswordResetForm,
    LimitedPasswordChangeForm,
    PreferencesForm,
)
from accounts.services.invitations import (
    InvitationError,
    invitation_accept,
    invitation_user_from_token,
)
from accounts.services.privacy import (
    PrivacyRefused,
    account_delete,
    account_deletion_problem,
    personal_data_export,
    personal_data_summary,
)
from accounts.services.throttle import password_reset_allow
from accounts.services.users import user_opt_in, user_opt_out
from core.client import client_ip


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
        # The welcome steps (policy, topics, connections, a first post: advocacy's "onboarding").
        return redirect("onboarding")
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


@login_required
@never_cache
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """What Chorus holds about me, the download and the way to delete my account."""
    return render(request, "accounts/my_data.html", {"sections": personal_data_summary(request.user)})


@login_required
@never_cache
@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    export = personal_data_export(user=request.user, actor=request.user)
    return FileResponse(export.file, as_attachment=True, filename=export.filename, content_type="application/zip")


def _deleted_message(counts: dict[str, int]) -> str:
    text = "Your Chorus account has been deleted and you are logged out."
    if counts.get("connections revoked without the provider's answer"):
        text += (" LinkedIn or X did not answer, so Chorus deleted its access on its side; you can also "
                 "remove Chorus from the apps connected to your LinkedIn or X account.")
    elif counts.get("connections revoked"):
        text += " Chorus's access to your LinkedIn and X accounts was revoked."
    return text + " Thank you for sharing."


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_delete_view(request: HttpRequest) -> HttpResponse:
    """Explain what deleting the account does; delete it once the password is confirmed."""
    user = request.user
    problem = account_deletion_problem(actor=user, user=user)
    form = AccountDeleteForm(user, request.POST or None, request=request)
    if request.method == "POST" and not problem and form.is_valid():
        try:
            result = account_delete(user=user, actor=user)
        except PrivacyRefused as exc:
            problem = str(exc)
        else:
            logout(request)
            messages.success(request, _deleted_message(result.counts))
            return redirect("login")
    context = {"form": form, "problem": problem,
               "counts": {s.name: s.count for s in personal_data_summary(user)}}
    # A POST that gets here deleted nothing: a wrong password, or not allowed.
    return render(request, "accounts/account_delete.html", context, status=400 if request.method == "POST" else 200)


class LimitedPasswordChangeView(PasswordChangeView):
    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset page with a limit per address and per client. Past the limit the
    request goes to the same "check your email" page and no email is sent."""

    form_class = AdminOnlyPasswordResetForm
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    subject_template_name = "emails/password_reset_subject.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if password_reset_allow(email=form.cleaned_data["email"], client=client_ip(self.request)):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())
