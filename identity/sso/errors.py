"""The one error of single sign-on: a refusal with a message the person can act on."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

REQUEST_ATTRIBUTE = "sso_refusal"


class SsoRefused(PermissionDenied):
    """Sign-in refused. ``str(exc)`` is shown to the person; it never contains a token.

    A ``PermissionDenied``, so that raised inside an authentication backend it stops
    ``django.contrib.auth.authenticate()``, which then sends ``user_login_failed``: the
    failure counts against the client like a wrong password (django-axes).
    """


def remember_refusal(request: HttpRequest, exc: SsoRefused) -> SsoRefused:
    """``authenticate()`` swallows the exception: keep it on the request for the view."""
    setattr(request, REQUEST_ATTRIBUTE, exc)
    return exc


def refusal_of(request: HttpRequest) -> SsoRefused | None:
    return getattr(request, REQUEST_ATTRIBUTE, None)
