"""core.api: the API's one error shape, also for what never reaches an endpoint (an address
that names none, a NUL byte, a body that cannot be parsed), and an import order that
cannot break."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import DataError
from django.test import Client

from accounts.services.api_tokens import api_token_create
from core.api import api_exception_handler
from tests.factories import advocate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Client:
    plain = api_token_create(user=advocate(), name="t", scope="read_write", expires_in_days=1).plain
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {plain}")


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    return body["error"]


def test_core_api_can_be_imported_before_anything_else_of_drf():
    """REST_FRAMEWORK names classes of core.api, and rest_framework.views reads them when it
    is first imported: an endpoint module that imports core.api first must not hit a cycle."""
    code = "import django; django.setup(); import core.api; from rest_framework.views import APIView; print('ok')"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


@pytest.mark.parametrize("path", [
    "/api/v1/no-such-endpoint/",
    "/api/v1/shares/not-a-number/",
    "/api/v1/shares/-3/retry/",
    "/api/v1/analytics/export/null,null.csv",
    "/api/v1/analytics/export/a%0Ab.csv",  # a newline (the catch-all's "." would not match it)
    "/api/v1/no-such%0D%0Aendpoint/",
    "/api/v1/feed/%0A",
    "/api/v2/feed/",
    "/api/",
])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_address_that_names_no_endpoint_is_a_json_404(api, path, method):
    error = _error(getattr(api, method)(path), 404, "not_found")
    assert "/api/docs/" in error["message"]


def test_anonymous_get_a_json_404_too():
    client = Client(enforce_csrf_checks=True)
    _error(client.get("/api/v1/nothing/"), 404, "not_found")
    _error(client.post("/api/v1/nothing/"), 404, "not_found")  # not the CSRF failure page


def test_a_get_without_its_trailing_slash_is_redirected_like_everywhere_else(api):
    response = api.get("/api/v1/feed?q=launch")
    assert response.status_code == 301 and response["Location"] == "/api/v1/feed/?q=launch"
    _error(api.post("/api/v1/shares", {}, content_type="application/json"), 404, "not_found")  # a body is not replayed


@pytest.mark.parametrize(("method", "path", "data"), [
    ("get", "/api/v1/feed/?q=a%00b", None),
    ("get", "/api/v1/feed/?a%00=1", None),
    ("post", "/api/v1/shares/", "item=1&texts=hi%00"),
])
def test_a_nul_byte_under_api_is_a_400_in_the_one_error_shape(api, method, path, data):
    kwargs = {"data": data, "content_type": "application/x-www-form-urlencoded"} if data else {}
    error = _error(getattr(api, method)(path, **kwargs), 400, "invalid")
    assert "NUL" in error["message"]


def test_a_multipart_body_without_its_boundary_is_a_400_in_the_one_error_shape(api):
    response = api.post("/api/v1/shares/", "--x\r\n", content_type="multipart/form-data")
    error = _error(response, 400, "invalid")
    assert "could not be parsed" in error["message"]


def test_outside_the_api_the_portal_keeps_its_own_answers(client):
    assert client.get("/feed/?q=a%00b")["Content-Type"].startswith("text/plain")
    response = client.post("/accounts/login/", "--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400 and "application/json" not in response["Content-Type"]


@pytest.mark.parametrize(("exc", "status"), [
    (OverflowError("Python int too large to convert to SQLite INTEGER"), 400),
    (DataError("integer out of range"), 400),
    (OverflowError("math range error"), None),  # a bug of ours stays a 500
    (RuntimeError("a bug"), None),
])
def test_a_value_the_database_cannot_hold_is_the_clients_400(exc, status):
    """SQLite's driver raises OverflowError for an integer beyond 64 bits (a list filter's
    ``?item=-2.2e+89``, an id of 10**30 in a body), PostgreSQL a DataError; either is the
    client's input. Any other error stays a 500 (None: DRF re-raises it)."""
    response = api_exception_handler(exc, {})
    assert (response.status_code if response else None) == status
    if response:
        assert response.data["error"]["code"] == "invalid" and "out of range" in response.data["error"]["message"]
