"""API authentication by personal token, and the scope check (DRF classes, see
chorus/settings/api.py).

``Authorization: Bearer chorus_...``. A wrong, expired or revoked token is a 401 and counts
as a failed login against the client (accounts.lockout): guessing tokens locks the client
out like guessing passwords does.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.lockout import login_allowed, login_failed
from accounts.models import ApiToken
from accounts.services.api_tokens import api_token_authenticate


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token: Authorization: Bearer chorus_...")
        try:
            plain = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token contains characters it cannot have.") from None
        django_request = request._request
        if not login_allowed(django_request, username=None):
            raise exceptions.Throttled(detail="Too many failed attempts. Please wait a while, then try again.")
        token = api_token_authenticate(plain)
        if token is None:
            login_failed(django_request, username=None)
            raise exceptions.AuthenticationFailed("This token is not valid (wrong, expired or revoked).")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class TokenScopePermission(BasePermission):
    """A read-only token may only read."""

    message = "This token is read-only."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiToken) and request.auth.is_read_only:
            return request.method in SAFE_METHODS
        return True


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes personal tokens (drf-spectacular finds it by subclassing)."""

    target_class = "accounts.api_auth.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer", "bearerFormat": "chorus_<prefix>_<secret>",
            "description": "A personal API token, made under *API tokens* in the portal. Read-only "
                           "tokens may only use GET.",
        }
