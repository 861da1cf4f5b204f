"""The single sign-on pages: public entry points that translate HTTP to ``oidc`` / ``saml``.

Every refusal is the same page (``identity/sso_failed.html``) with what went wrong in words;
sign-in itself goes through ``django.contrib.auth`` (``authenticate`` then ``login``), so the
lockout (django-axes), the login signals and the session rules are the password login's.
"""

from django.conf import settings
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.lockout import lockout_response, login_allowed, login_failed
from identity.models import SsoSettings
from identity.sso import oidc, saml
from identity.sso.errors import SsoRefused, refusal_of

INCOMPLETE = "The sign-in answer was incomplete. Start again from the login page."
# The state is not in this browser's session: the answer was used already, or the sign-in
# was started in another browser (or the session expired meanwhile).
STATE_UNKNOWN = ("This sign-in answer was already used or was not started in this browser. "
                 "Start again from the login page.")


def sso_failed(request: HttpRequest, reason: str, *, status: int = 403) -> HttpResponse:
    return render(request, "identity/sso_failed.html", {"reason": reason}, status=status)


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- OpenID Connect --------------------------------------------------------------------


class OidcLoginView(OIDCAuthenticationRequestView):
    """Redirects to the provider's authorization endpoint with state, nonce and a PKCE challenge."""

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # the library reads its settings here; Chorus's come per request
        self.config: oidc.OidcConfig | None = None

    def get_settings(self, attr: str, *args):  # type: ignore[override]
        values = {
            **(self.config.library_settings() if self.config else {}),
            "OIDC_STATE_SIZE": 32, "OIDC_NONCE_SIZE": 32, "OIDC_PKCE_CODE_VERIFIER_SIZE": 64,
            "OIDC_REDIRECT_FIELD_NAME": "next", "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
        }
        return values[attr] if attr in values or not args else values.get(attr, args[0])

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return HttpResponseRedirect(_safe_next(request, request.GET.get("next")))
        row = SsoSettings.current()
        if not oidc.oidc_enabled(row):
            raise Http404(oidc.NOT_SET_UP)
        try:
            self.config = oidc.oidc_config(row)
        except SsoRefused as exc:
            return sso_failed(request, str(exc), status=502)
        self.OIDC_OP_AUTH_ENDPOINT = self.config.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = self.config.client_id
        return super().get(request)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back: the state is looked up (and forgotten), then
    ``authenticate()`` exchanges the code and checks the ID token (``oidc.OidcBackend``)."""

    def get_settings(self, attr: str, *args):  # type: ignore[override]
        values = {"LOGIN_REDIRECT_URL": settings.LOGIN_REDIRECT_URL, "OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS": 15 * 60}
        return values[attr] if attr in values or not args else values.get(attr, args[0])

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SuspiciousOperation:
            return sso_failed(request, STATE_UNKNOWN, status=400)

    def login_failure(self) -> HttpResponse:
        request = self.request
        refusal = refusal_of(request)
        if refusal is not None:
            return sso_failed(request, str(refusal))
        if request.GET.get("error"):
            description = request.GET.get("error_description") or request.GET["error"]
            return sso_failed(request, f"Your identity provider did not sign you in: {description[:300]}")
        if request.GET.get("code") and request.GET.get("state"):
            return sso_failed(request, STATE_UNKNOWN, status=400)  # no sign-in pending in this session
        return sso_failed(request, INCOMPLETE, status=400)


# --- SAML 2.0 --------------------------------------------------------------------------


@never_cache
@require_GET
def saml_login(request: HttpRequest) -> HttpResponse:
    """SP-initiated sign-in: an AuthnRequest to the IdP (HTTP-Redirect binding)."""
    next_url = _safe_next(request, request.GET.get("next"))
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url)
    row = SsoSettings.current()
    if not row.saml_enabled:
        raise Http404(saml.NOT_SET_UP)
    try:
        return HttpResponseRedirect(saml.saml_start(row, relay_state=next_url))
    except SsoRefused as exc:
        return sso_failed(request, str(exc), status=502)


@csrf_exempt  # the IdP posts it from its own page; the signed assertion is the proof
@never_cache
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    """Assertion consumer service: the IdP's answer, SP- or IdP-initiated."""
    row = SsoSettings.current()
    if not row.saml_enabled:
        raise Http404(saml.NOT_SET_UP)
    if not login_allowed(request, username=None):
        return lockout_response(request)
    if not request.POST.get("SAMLResponse"):
        return sso_failed(request, INCOMPLETE, status=400)
    try:
        identity = saml.saml_verify(row, request.POST["SAMLResponse"])
    except SsoRefused as exc:
        login_failed(request, username=None)  # a forged or stale assertion counts like a wrong password
        return sso_failed(request, str(exc))
    user = auth.authenticate(request, saml_identity=identity)
    if user is None:
        refusal = refusal_of(request)
        return sso_failed(request, str(refusal) if refusal else "The sign-in was refused.")
    auth.login(request, user)
    return HttpResponseRedirect(_safe_next(request, request.POST.get("RelayState")))


@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """Chorus's SP metadata, for the IdP (public: entity id, ACS URL, public certificate)."""
    try:
        xml = saml.sp_metadata(SsoSettings.current())
    except SsoRefused as exc:
        return sso_failed(request, str(exc), status=502)
    return HttpResponse(xml, content_type="application/samlmetadata+xml; charset=utf-8")

