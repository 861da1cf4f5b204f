"""Who calls the advocate's side of the API, for the permission tables of its tests.

Every endpoint there is about the signed-in person: each role (advocates, and the staff
roles, who are advocates too) uses it for themselves; anonymous is a 401; another
person's object is a 404; a read-only token may read, never write (403).
"""

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from accounts.roles import ADMIN, ADVOCATE
from accounts.services.api_tokens import api_token_create
from tests.factories import UserFactory, advocate, approver, curator

PEOPLE: dict[str, Callable[..., User]] = {
    "advocate": advocate,
    "curator": curator,
    "approver": approver,
    "admin": lambda **kw: UserFactory(roles=[ADMIN, ADVOCATE], **kw),
}
ROLES = list(PEOPLE)


def bearer(user: User, scope: str = "read_write") -> dict[str, str]:
    """Headers for the test client: a personal token of ``user``."""
    plain = api_token_create(user=user, name=f"test {scope}", scope=scope, expires_in_days=30).plain
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def call(client: Client, method: str, url: str, body: dict | None = None, **headers: str):
    """``client.<method>(url)`` with a JSON body (if any)."""
    send = getattr(client, method.lower())
    if body is None:
        return send(url, **headers)
    return send(url, body, content_type="application/json", **headers)
