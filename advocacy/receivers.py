"""What advocacy does when a lower layer announces something (connected in
``AdvocacyConfig.ready``). Each receiver only translates the event into a service call."""

from typing import Any

from accounts.signals import user_deactivated
from advocacy.services.deactivation import advocacy_stop_for


def _on_user_deactivated(sender: Any = None, *, user: Any, **kwargs: Any) -> None:
    advocacy_stop_for(user=user)


def connect() -> None:
    user_deactivated.connect(_on_user_deactivated, dispatch_uid="advocacy.user_deactivated")
