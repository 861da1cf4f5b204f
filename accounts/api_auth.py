"""API authentication by personal token, and the scope check (DRF classes, see
chorus/settings/api.py).

``Authorization: Bearer chorus_...``. A wrong, expired or revoked token (or one whose owner
is deactivated) is a 401 and counts as a failed login against the client
(accounts.lockout): guessing tokens locks the client out like guessing passwords does, and
a locked-out client gets a 429 with ``Retry-After`` in the API's error shape.

The scope is enforced here, at authentication, as well as by ``TokenScopePermission``: a
view that sets its own ``permission_classes`` cannot forget it, so a read-only token never
writes.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.lockout import LOCKED_OUT_MESSAGE, first_if_login_allowed, login_allowed, login_failed
from accounts.models import ApiToken, User
from accounts.services.api_tokens import TOKEN_ROWS, api_token_prefix, api_token_verify
from core.audit import audit_actor_set

READ_ONLY_MESSAGE = "This token is read-only: make a read and write token to change anything."


class LockedOut(exceptions.Throttled):
    """Too many wrong credentials from this client: a 429 with ``Retry-After``."""

    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(wait=settings.LOGIN_LOCKOUT_MINUTES * 60)
        self.detail = exceptions.ErrorDetail(LOCKED_OUT_MESSAGE, code=self.default_code)


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token: Authorization: Bearer chorus_...")
        try:
            plain = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token contains characters it cannot have.") from None
        django_request = request._request
        # The lockout check and the token's row (with its owner) in one query.
        prefix = api_token_prefix(plain)
        if prefix is None:
            allowed, found = login_allowed(django_request, username=None), None
        else:
            allowed, found = first_if_login_allowed(django_request, TOKEN_ROWS, {"prefix": prefix}, username=None)
        if not allowed:
            raise LockedOut()
        token = api_token_verify(found, plain)
        if token is None:
            login_failed(django_request, username=None)
            if getattr(django_request, "axes_locked_out", False):
                # This miss reached the limit. Answer in the API's shape here: left set,
                # axes' middleware would swap in the portal's lockout page.
                django_request.axes_locked_out = False
                raise LockedOut()
            raise exceptions.AuthenticationFailed("This token is not valid (wrong, expired or revoked).")
        if token.is_read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(READ_ONLY_MESSAGE)
        audit_actor_set(token.user)  # the audit log names the token's owner, as for a session
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenScopePermission(BasePermission):
    """A read-only token may only read (also enforced at authentication)."""

    message = READ_ONLY_MESSAGE

    def has_permission(self, request: Request, view) -> bool:
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
            "description": "A personal API token, made under *API tokens* in the portal "
                           "(`/accounts/me/tokens/`). It acts with its owner's permissions. "
                           "Read-only tokens may only use GET, HEAD and OPTIONS.",
        }
