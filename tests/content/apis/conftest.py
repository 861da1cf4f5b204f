"""Shared helpers for the staff content API tests: people by role, calls as them."""

import json
from typing import Any

import pytest
from django.test import Client

from accounts.roles import ADMIN, ADVOCATE
from accounts.services.api_tokens import api_token_create
from tests.factories import UserFactory, advocate, approver, curator

API = "/api/v1/content"


@pytest.fixture(autouse=True)
def _throttle_on_real_redis(redis_url: str) -> None:
    """The API's per-client throttle runs on the embedded Redis (no Redis: every request
    would wait for the client's connection retries before failing open)."""


@pytest.fixture
def people(db) -> dict[str, Any]:
    return {"anonymous": None, "advocate": advocate(), "curator": curator(), "approver": approver(),
            "admin": UserFactory(roles=[ADMIN, ADVOCATE])}


class Caller:
    """Calls the API as someone: signed in (the portal's session) or with a personal token."""

    def __init__(self, user=None, *, token: str | None = None) -> None:
        self.client = Client()
        self.user = user
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if user is not None and token is None:
            self.client.force_login(user)

    def __call__(self, method: str, url: str, body: Any = None):
        call = getattr(self.client, method.lower())
        if method.upper() in ("GET", "HEAD"):
            return call(url, body or {}, **self.headers)
        return call(url, json.dumps(body if body is not None else {}), content_type="application/json",
                    **self.headers)

    def get(self, url: str, params: dict | None = None):
        return self("GET", url, params)

    def post(self, url: str, body: Any = None):
        return self("POST", url, body)

    def patch(self, url: str, body: Any = None):
        return self("PATCH", url, body)

    def put(self, url: str, body: Any = None):
        return self("PUT", url, body)

    def delete(self, url: str):
        return self("DELETE", url)


def as_user(user) -> Caller:
    return Caller(user)


def with_token(user, scope: str = "read_write") -> Caller:
    plain = api_token_create(user=user, name=f"test {scope}", scope=scope, expires_in_days=30).plain
    return Caller(user, token=plain)
