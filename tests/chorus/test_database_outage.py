"""A database outage is a 503 that says so — a friendly page for people, the API's JSON
error with ``Retry-After``, ``/healthz`` naming the database whatever the cookies — and an
employee's share that could not be saved leaves nothing half-written (issue 16).

The outage is Django's own query hook (``connection.execute_wrapper``) raising what the
driver raises when the server is gone, so every layer above the driver runs for real.
"""

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client

from accounts.services.api_tokens import api_token_create
from advocacy.models import Share
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


@contextmanager
def database_down(only: str | None = None):
    """Every query (or every one containing ``only``) fails like a lost server."""

    def fail(execute, sql, params, many, context):
        if only is None or only in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture
def web():
    return Client(raise_request_exception=False)


@pytest.fixture
def employee(web):
    user = UserFactory()
    SocialAccountFactory(user=user, network="linkedin")
    web.force_login(user)
    return user


def test_a_portal_page_answers_a_friendly_503(web, employee):
    with database_down():
        response = web.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "cannot reach our database" in page and "was not saved" in page


def test_the_api_answers_its_json_error_with_retry_after(web, employee):
    plain = api_token_create(user=employee, name="ci", scope="read", expires_in_days=1).plain
    with database_down():
        by_session = web.get("/api/v1/feed/")
        by_token = Client(raise_request_exception=False).get(
            "/api/v1/feed/", HTTP_AUTHORIZATION=f"Bearer {plain}")
    for response in (by_session, by_token):
        assert response.status_code == 503 and response["Retry-After"] == "30"
        assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.parametrize("signed_in", [False, True])
def test_healthz_names_the_database_whatever_the_cookies(web, signed_in):
    if signed_in:
        web.force_login(UserFactory())
    with database_down():
        response = web.get("/healthz")
    assert response.status_code == 503
    assert "database" in response.json()["down"]


def test_a_share_that_could_not_be_saved_says_so_and_leaves_nothing(web, employee):
    item = published_item()
    form = {"networks": ["linkedin"], "text_linkedin": "In my words", "idempotency_key": "k1", "when": "now"}
    # The database goes away right after the share row is written, before it is marked
    # for dispatch: the whole share is rolled back, not left half-made.
    with database_down(only='UPDATE "advocacy_share" SET "enqueued_at"'):
        response = web.post(f"/share/{item.pk}/", form)
    assert response.status_code == 503
    assert "was not saved" in response.content.decode()
    assert not Share.objects.exists()


def test_other_server_errors_on_the_api_keep_the_error_shape(web, employee, monkeypatch):
    import advocacy.apis.connections as views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "accounts_for_user", broken)
    response = web.get("/api/v1/connections/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
