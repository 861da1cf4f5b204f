"""Who may call /scim/v2/: a live SCIM token only. A wrong token counts against the client
like a failed login; sessions and personal API tokens are ignored; CSRF does not apply; each
token is throttled; SCIM tokens are made in the admin by Admins, shown once, stored hashed."""

import hashlib

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import ADMIN, CURATOR
from identity.models import ScimToken
from identity.scim.tokens import scim_token_create, scim_token_revoke
from tests.factories import UserFactory
from tests.identity.scim_support import (
    SCIM_JSON,
    Scim,
    assert_error,
    user_body,
)

pytestmark = pytest.mark.django_db


def _failures() -> int:
    return sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer "])
def test_no_token_is_a_401_that_counts_nothing(header):
    headers = {"Authorization": header} if header is not None else {}
    response = Client().get("/scim/v2/Users", headers=headers)
    body = assert_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"' and "Bearer scim_" in body["detail"]
    assert _failures() == 0


@pytest.mark.parametrize("plain", ["scim_nope_nope", "chorus_abc_def", "x" * 500, "scim_ééé_ü"])
def test_a_wrong_token_is_a_401_counted_like_a_failed_login(scim_token, plain):
    assert_error(Scim(plain).get("/Users"), 401)
    assert _failures() == 1


def test_a_client_that_keeps_guessing_is_locked_out_even_with_a_good_token(scim_token, settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 3
    for _ in range(3):
        assert_error(Scim("scim_guess_guess").get("/Users"), 401)
    response = Scim(scim_token.plain).get("/Users")
    assert_error(response, 429)
    assert int(response["Retry-After"]) == settings.LOGIN_LOCKOUT_MINUTES * 60


def test_a_revoked_token_stops_at_once(scim, scim_token):
    assert scim.get("/ServiceProviderConfig").status_code == 200
    assert scim_token_revoke(token=scim_token.token) is True
    assert scim_token_revoke(token=scim_token.token) is False
    assert_error(scim.get("/ServiceProviderConfig"), 401)


def test_the_token_is_stored_hashed_and_its_use_recorded(scim, scim_token):
    token = ScimToken.objects.get()
    assert token.digest == hashlib.sha256(scim_token.plain.encode()).hexdigest()
    assert scim_token.plain not in str(ScimToken.objects.values_list())
    assert scim_token.plain not in repr(scim_token)
    assert token.last_used_at is None
    scim.get("/ServiceProviderConfig")
    assert ScimToken.objects.get().last_used_at is not None


def test_a_session_is_not_a_scim_credential_and_csrf_does_not_apply(scim_token):
    admin = UserFactory(roles=[ADMIN])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert_error(browser.get("/scim/v2/Users"), 401)
    assert_error(browser.post("/scim/v2/Users", user_body("x@example.com"), content_type=SCIM_JSON), 401)
    # A token-bearing POST needs no CSRF token; a session cookie that comes along changes nothing.
    response = browser.post("/scim/v2/Users", user_body("ann@example.com"), content_type=SCIM_JSON,
                            headers={"Authorization": f"Bearer {scim_token.plain}"})
    assert response.status_code == 201
    entry = LogEntry.objects.get(additional_data__event="provisioned by SCIM")
    assert entry.actor is None  # the token acted, not the admin whose cookie came along


def test_each_token_is_throttled(scim, scim_token, settings, redis_url):
    settings.SCIM_THROTTLE_PER_MINUTE = 2
    assert scim.get("/ServiceProviderConfig").status_code == 200
    assert scim.get("/ServiceProviderConfig").status_code == 200
    response = scim.get("/ServiceProviderConfig")
    assert_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    other = scim_token_create(name="Okta")
    assert Scim(other.plain).get("/ServiceProviderConfig").status_code == 200


def test_errors_have_the_scim_shape(scim):
    assert_error(scim.post("/ServiceProviderConfig", {}), 405)
    assert_error(scim.get("/Users/.search"), 405)
    assert_error(scim.get("/Nothing/here"), 404)
    assert_error(scim.post("/.search", {}), 501)
    assert_error(scim.get("/Schemas/urn:nothing"), 404)


# --- the admin ------------------------------------------------------------------------------


def _admin(*roles: str) -> tuple[Client, User]:
    user = UserFactory(roles=list(roles))
    client = Client()
    client.force_login(user)
    return client, user


def test_an_admin_makes_a_token_that_is_shown_once_and_works():
    client, admin = _admin(ADMIN)
    response = client.post(reverse("admin:identity_scimtoken_add"), {"name": "Entra ID"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    plain = response.context["plain"]
    assert plain.startswith("scim_") and plain in response.content.decode()
    assert "http://testserver/scim/v2" in response.content.decode()
    token = ScimToken.objects.get()
    assert token.created_by == admin and token.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in client.get(reverse("admin:identity_scimtoken_change", args=[token.pk])).content.decode()
    assert Scim(plain).get("/ServiceProviderConfig").status_code == 200
    assert LogEntry.objects.filter(additional_data__event="scim token created", actor=admin).exists()

    client.post(reverse("admin:identity_scimtoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]})
    assert ScimToken.objects.get().revoked_at is not None
    assert_error(Scim(plain).get("/ServiceProviderConfig"), 401)


def test_only_admins_manage_scim_tokens():
    client, _ = _admin(CURATOR)
    assert client.get(reverse("admin:identity_scimtoken_changelist")).status_code == 403
    assert client.post(reverse("admin:identity_scimtoken_add"), {"name": "x"}).status_code == 403
    assert not ScimToken.objects.exists()
