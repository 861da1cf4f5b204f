"""Personal API tokens end to end: the portal page (make, shown once, list, revoke), the
management command, and what a token does at the API (401 / 403 / 429, lockout,
last used, never logged)."""

import io
import json
import logging
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.services.api_tokens import api_token_create, api_token_revoke
from tests.factories import UserFactory, advocate, approver, curator

pytestmark = pytest.mark.django_db

PAGE = "/accounts/me/tokens/"
FEED = "/api/v1/feed/"
SHARES = "/api/v1/shares/"


@pytest.fixture(autouse=True)
def _redis(redis_url):
    """The API's throttle counts in the real embedded Redis (emptied for each test)."""


def _token(user=None, **kwargs) -> str:
    options = {"name": "Script", "scope": "read", "expires_in_days": 30, **kwargs}
    return api_token_create(user=user or advocate(), **options).plain


def _get(plain: str, url: str = FEED, client: Client | None = None, **extra):
    return (client or Client()).get(url, HTTP_AUTHORIZATION=f"Bearer {plain}", **extra)


def _post(plain: str, url: str = SHARES, data: dict | None = None, **extra):
    return Client().post(url, data or {}, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {plain}", **extra)


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    return body["error"]


# --- the page ------------------------------------------------------------------------


@pytest.fixture
def ann(client):
    user = advocate(full_name="Ann Lee", email="ann@example.com")
    client.force_login(user)
    return user


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_preferences_page_links_to_it(client, ann):
    assert f'href="{PAGE}"' in client.get(reverse("preferences")).content.decode()


def test_make_a_token_shown_once_then_listed_without_it(client, ann):
    response = client.post(PAGE, {"name": "Intranet widget", "scope": "read_write", "expires_in_days": "90"})

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=ann)
    assert (token.name, token.scope) == ("Intranet widget", "read_write")
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    page = response.content.decode()
    plain = response.context["new"].plain
    assert page.count(plain) == 1 and "you will not see it again" in page
    assert 'data-copy-from="new-token-value"' in page and "/static/js/copy-token.js" in page
    assert "<script>" not in page  # our own static file, no inline script (CSP)
    assert _get(plain).status_code == 200  # it works

    again = client.get(PAGE).content.decode()
    assert plain not in again and plain.split("_", 2)[2] not in again
    assert "Intranet widget" in again and f"chorus_{token.prefix}_" in again and "Active" in again
    assert plain not in json.dumps(dict(client.session.items()), default=str)


def test_the_list_shows_each_state_and_only_my_tokens(client, ann):
    active, expired, revoked = (api_token_create(user=ann, name=n, scope="read", expires_in_days=30).token
                                for n in ("Active one", "Expired one", "Revoked one"))
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    api_token_revoke(token=revoked)
    ApiToken.objects.filter(pk=active.pk).update(last_used_at=timezone.now())
    _token(UserFactory(), name="Bob's secret script")

    response = client.get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200 and "Bob's secret script" not in page
    rows = {t.name: status for t, status in response.context["tokens"]}
    assert rows == {"Active one": "active", "Expired one": "expired", "Revoked one": "revoked"}
    assert page.count('class="pill ok"') == 1 and page.count('class="pill warn"') == 1
    assert page.count("Revoke<span") == 1  # only the active one can be revoked
    assert "Never" in page  # the two unused ones


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "", "scope": "read", "expires_in_days": "30"}, "This field is required"),
    ({"name": "x", "scope": "admin", "expires_in_days": "30"}, "Select a valid choice"),
    ({"name": "x", "scope": "read", "expires_in_days": "3650"}, "Select a valid choice"),
    ({"name": "   ", "scope": "read", "expires_in_days": "30"}, "This field is required"),
])
def test_bad_input_makes_nothing(client, ann, form, message):
    response = client.post(PAGE, form)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ApiToken.objects.exists() and response.context["new"] is None


def test_the_limit_is_said_on_the_form(client, ann):
    for n in range(20):
        api_token_create(user=ann, name=f"t{n}", scope="read", expires_in_days=30)
    response = client.post(PAGE, {"name": "one more", "scope": "read", "expires_in_days": "30"})
    assert response.status_code == 400 and "revoke one first" in response.content.decode()


def test_revoke_my_token(client, ann):
    plain = _token(ann)
    token = ApiToken.objects.get(user=ann)

    response = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "“Script” is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _get(plain).status_code == 401


def test_another_persons_token_is_a_404_and_stays_live(client, ann):
    plain = _token(UserFactory())
    theirs = ApiToken.objects.get()
    response = client.post(reverse("api_token_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None and _get(plain).status_code == 200


def test_revoke_is_post_only_and_needs_csrf(ann):
    token = api_token_create(user=ann, name="x", scope="read", expires_in_days=30).token
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    url = reverse("api_token_revoke", args=[token.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert client.post(PAGE, {"name": "x", "scope": "read", "expires_in_days": "30"}).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


@pytest.mark.parametrize("make_user", [advocate, curator, approver,
                                       lambda: UserFactory(is_staff=True, is_superuser=True)])
def test_advocates_and_staff_alike_may_have_tokens(make_user):
    user = make_user()
    client = Client()
    client.force_login(user)
    response = client.post(PAGE, {"name": "mine", "scope": "read", "expires_in_days": "30"})
    assert response.status_code == 201
    assert _get(response.context["new"].plain).status_code == 200


# --- the management command ------------------------------------------------------------


def test_the_command_prints_the_token_once_and_it_works():
    user = curator(email="cora@example.com")
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", "--email", "Cora@Example.com", "--name", "CI", "--scope", "read_write",
                 "--days", "7", stdout=out, stderr=err)

    plain = out.getvalue().strip()
    assert plain.startswith("chorus_") and "\n" not in plain and plain not in err.getvalue()
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.scope) == ("CI", "read_write")
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert "cora@example.com" in err.getvalue() and "shown once" in err.getvalue()
    assert _get(plain).status_code == 200


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "nobody@example.com", "--name", "CI"], "No account has the email"),
    (["--email", "cora@example.com", "--name", "CI", "--days", "0"], "between 1 and 366 days"),
    (["--email", "cora@example.com", "--name", " "], "Give the token a name"),
])
def test_the_command_refuses_clearly(args, message):
    curator(email="cora@example.com")
    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


# --- at the API ------------------------------------------------------------------------


def test_a_valid_token_acts_as_its_owner():
    user = advocate()
    response = _get(_token(user), "/api/v1/connections/")
    assert response.status_code == 200 and response.json() == []


def _expired(user) -> str:
    plain = _token(user)
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    return plain


def _revoked(user) -> str:
    plain = _token(user)
    api_token_revoke(token=ApiToken.objects.get(user=user))
    return plain


def _inactive_owner(user) -> str:
    plain = _token(user)
    user.is_active = False
    user.save()
    return plain


@pytest.mark.parametrize("make", [
    pytest.param(lambda u: "chorus_0123456789ab_no-such-token", id="wrong"),
    pytest.param(lambda u: _token(u)[:-2] + "xx", id="wrong-secret"),
    pytest.param(lambda u: "not-even-a-chorus-token", id="not-ours"),
    pytest.param(_expired, id="expired"),
    pytest.param(_revoked, id="revoked"),
    pytest.param(_inactive_owner, id="inactive-owner"),
])
def test_a_token_that_is_not_valid_is_a_401_in_the_one_error_shape(make):
    response = _get(make(advocate()))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Content-Type"] == "application/json"
    assert _error(response) == {"code": "authentication_failed", "field": None,
                                "message": "This token is not valid (wrong, expired or revoked)."}


@pytest.mark.parametrize("header", ["Bearer", "Bearer one two", "Bearer caf\u00e9"])
def test_a_malformed_authorization_header_is_a_401(header):
    response = Client().get(FEED, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and _error(response)["code"] == "authentication_failed"


def test_no_credentials_is_a_401():
    response = Client().get(FEED)
    assert response.status_code == 401 and _error(response)["code"] == "not_authenticated"


def test_a_read_only_token_may_read_but_never_write():
    plain = _token(scope="read")
    assert _get(plain).status_code == 200
    response = _post(plain, data={})
    assert response.status_code == 403
    assert _error(response) == {"code": "permission_denied", "field": None,
                                "message": "This token is read-only: make a read and write token to change "
                                           "anything."}


def test_a_read_and_write_token_may_write():
    response = _post(_token(scope="read_write"), data={})
    assert response.status_code == 400 and _error(response)["code"] == "invalid"  # past the scope: validation


class _OpenWrite(APIView):
    """An endpoint that sets its own permissions and forgets the token scope."""

    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"wrote": True})


def test_the_scope_holds_even_where_a_view_sets_its_own_permissions():
    factory, view = APIRequestFactory(), _OpenWrite.as_view()
    read_only, read_write = _token(scope="read"), _token(scope="read_write")
    refused = view(factory.post("/x", {}, HTTP_AUTHORIZATION=f"Bearer {read_only}"))
    allowed = view(factory.post("/x", {}, HTTP_AUTHORIZATION=f"Bearer {read_write}"))
    assert refused.status_code == 403 and allowed.status_code == 200


def test_each_token_is_throttled_on_its_own_with_retry_after(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client": "3/minute"}}
    user = advocate()
    first, second = _token(user, name="one"), _token(user, name="two")

    statuses = [_get(first).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = _get(first)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert _error(refused)["code"] == "throttled"
    assert _get(second).status_code == 200  # the other token has its own budget


def test_repeated_wrong_tokens_lock_the_client_out(settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 5
    good = _token()
    client = Client(REMOTE_ADDR="198.51.100.7")

    statuses = [_get("chorus_0123456789ab_guess", client=client).status_code for _ in range(4)]
    at_limit = _get("chorus_0123456789ab_guess", client=client)
    even_good = _get(good, client=client, HTTP_ACCEPT="*/*")

    assert statuses == [401] * 4
    for response in (at_limit, even_good):
        assert response.status_code == 429, response.content
        assert response["Retry-After"] == str(settings.LOGIN_LOCKOUT_MINUTES * 60)
        assert response["Content-Type"] == "application/json"  # the API's shape, not the portal's page
        assert _error(response)["code"] == "locked_out"
    assert _get(good, client=Client(REMOTE_ADDR="198.51.100.8")).status_code == 200  # another client
    assert AccessFailureLog.objects.filter(ip_address="198.51.100.7").count() == 5


def test_last_used_shows_on_the_page_and_is_written_at_most_every_five_minutes(client, ann):
    plain = _token(ann)
    start = timezone.now()
    with freeze_time(start) as clock:
        assert _get(plain).status_code == 200
        clock.tick(timedelta(minutes=4))
        assert _get(plain).status_code == 200
        assert ApiToken.objects.get().last_used_at == start
        clock.tick(timedelta(minutes=2))
        assert _get(plain).status_code == 200
        assert ApiToken.objects.get().last_used_at == start + timedelta(minutes=6)
    assert "Never" not in client.get(PAGE).content.decode()


def test_the_plain_token_is_never_logged_or_audited(client, ann, caplog, settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 3
    caplog.set_level(logging.DEBUG)
    made = client.post(PAGE, {"name": "Widget", "scope": "read", "expires_in_days": "30"})
    plain = made.context["new"].plain
    secret = plain.split("_", 2)[2]
    _get(plain)
    _post(plain)  # refused: read-only
    wrong = plain[:-3] + "xyz"
    for _ in range(4):  # wrong secret, up to the lockout
        _get(wrong)
    client.post(reverse("api_token_revoke", args=[ApiToken.objects.get().pk]))
    _get(plain)

    assert caplog.records  # something was logged meanwhile
    for text in (plain, secret, wrong, wrong.split("_", 2)[2]):
        assert text not in caplog.text
        assert text not in json.dumps(list(LogEntry.objects.values()), default=str)
        assert text not in json.dumps(list(AccessFailureLog.objects.values()), default=str)
        assert text not in json.dumps(list(AccessAttempt.objects.values()), default=str)
