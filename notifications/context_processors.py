from django.http import HttpRequest
from django.utils.functional import cached_property

from accounts.models import User
from notifications.services.inapp import UNREAD_EXTRA, unread_count


class UnreadNotifications:
    """The nav bell's unread count: one indexed COUNT, run only if a template asks — or
    none, when the page's view already read it with its own query (the portal feed:
    ``advocacy.selectors.PERSON_EXTRAS``)."""

    def __init__(self, user: User, known: int | None = None) -> None:
        self.user = user
        if known is not None:
            self.count = known  # fills the cached property

    @cached_property
    def count(self) -> int:
        return unread_count(self.user)

    @property
    def label(self) -> str:
        return "99+" if self.count > 99 else str(self.count)

    def __bool__(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        return self.label


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    known = getattr(request, "person_extras", {}).get(UNREAD_EXTRA)
    return {"unread_notifications": UnreadNotifications(user, known)}
