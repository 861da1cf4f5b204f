"""The portal asks for the social media policy before anything else.

Whoever is signed in and has not accepted the current version (``policy_to_accept``) is
sent to the policy page at their next portal page view, and back where they were going
once they accept. Never in the way of: signing in or out and the account pages
(``/accounts/``: password, my data, deleting the account), the policy and welcome pages
themselves, the admin (where the policy is written), the API (token or session: an API
client cannot read a policy page; the portal is where people accept it), single sign-on
and SCIM, static and media files, ``/healthz``, tracked links, the email links that work
without login, and the OAuth callback of a connection in progress.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from advocacy.services.onboarding import WELCOME_SESSION_KEY, policy_to_accept

EXEMPT_PREFIXES = ("/accounts/", "/admin/", "/api/", "/sso/", "/scim/", "/static/", "/media/", "/healthz",
                   "/r/", "/n/", "/favicon")
# The policy page, the start of the welcome steps (it sends to the policy itself) and the
# network's OAuth callback (a connection under way is not lost to a new policy version).
EXEMPT_URL_NAMES = frozenset({"onboarding_policy", "onboarding", "connect_callback"})


class PolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(EXEMPT_PREFIXES):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        reading = request.method in ("GET", "HEAD")
        if reading and request.session.pop(WELCOME_SESSION_KEY, False):
            return HttpResponseRedirect(reverse("onboarding"))
        if getattr(view_func, "checks_policy_itself", False):
            return None  # the view reads the version in force with its own query (the feed)
        if policy_to_accept(user, session=request.session) is None:
            return None
        return to_policy(request)


def to_policy(request: HttpRequest) -> HttpResponse:
    """To the policy page, and back here (a read) or home once accepted."""
    after = request.get_full_path() if request.method in ("GET", "HEAD") else reverse("home")
    return HttpResponseRedirect(f"{reverse('onboarding_policy')}?{urlencode({'next': after})}")


def checks_policy_itself(view):
    """Mark a view that asks ``policy_id_to_accept`` itself (with the version in force read
    in its own query) and answers ``to_policy`` when it must: the middleware leaves it."""
    view.checks_policy_itself = True
    return view
