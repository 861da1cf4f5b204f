"""What advocacy does when a lower layer announces something (connected in
``AdvocacyConfig.ready``). Each receiver only translates the event into a service call."""

from typing import Any

from django.contrib.auth.signals import user_logged_in

from accounts.signals import user_deactivated
from advocacy.services.deactivation import advocacy_stop_for
from advocacy.services.onboarding import WELCOME_SESSION_KEY, onboarding_needed_at_first_sign_in


def _on_user_deactivated(sender: Any = None, *, user: Any, **kwargs: Any) -> None:
    advocacy_stop_for(user=user)


def _on_user_logged_in(sender: Any = None, *, request: Any = None, user: Any, **kwargs: Any) -> None:
    """A first sign-in through single sign-on opens the welcome steps (invited employees get
    there from the invitation's password page)."""
    backend = getattr(user, "backend", "") or ""
    if request is not None and hasattr(request, "session") and backend.startswith("identity.") \
            and onboarding_needed_at_first_sign_in(user):
        request.session[WELCOME_SESSION_KEY] = True


def connect() -> None:
    user_deactivated.connect(_on_user_deactivated, dispatch_uid="advocacy.user_deactivated")
    user_logged_in.connect(_on_user_logged_in, dispatch_uid="advocacy.first_sso_sign_in")
