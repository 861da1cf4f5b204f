"""Brute-force protection: login lockouts (portal, admin) and password reset limits."""

import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.lockout import login_allowed, login_failed
from accounts.roles import ADMIN
from core.client import client_ip
from tests.factories import UserFactory, advocate, curator

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Passphrase"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _login(client, email: str, password: str, *, url: str = LOGIN, ip: str = "127.0.0.1", **extra):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _assert_locked_out(response) -> None:
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page and "wait 30 minutes" in page
    assert "@" not in page.split("<main", 1)[1]  # names no account


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_the_eleventh_attempt_is_refused_even_with_the_right_password(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    for _ in range(9):
        response = _login(client, "ann@example.com", "wrong")
        assert response.status_code == 200 and "enter a correct" in response.content.decode().lower()
    _assert_locked_out(_login(client, "ann@example.com", "wrong"))  # the 10th locks

    response = _login(client, "ann@example.com", PASSWORD)

    _assert_locked_out(response)
    assert response["Retry-After"] == "1800"
    assert not _logged_in(client) and client.get(reverse("home")).status_code == 302


def test_thirty_wrong_passwords_then_the_right_one_is_still_refused(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    for _ in range(30):
        _login(client, "ann@example.com", "wrong")
    _assert_locked_out(_login(client, "ann@example.com", PASSWORD))
    assert not _logged_in(client)


def test_the_lockout_ends_after_the_cool_off_and_attempts_during_it_do_not_prolong_it(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    start = timezone.now()
    with freeze_time(start) as clock:
        for _ in range(10):
            _login(client, "ann@example.com", "wrong")
        clock.move_to(start + timedelta(minutes=20))
        _assert_locked_out(_login(client, "ann@example.com", PASSWORD))
        _assert_locked_out(_login(client, "ann@example.com", "wrong"))
        clock.move_to(start + timedelta(minutes=31))

        response = _login(client, "ann@example.com", PASSWORD)

    assert response.status_code == 302 and response.url == reverse("home") and _logged_in(client)


def test_the_count_is_per_account_whatever_the_case_and_from_any_address(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    UserFactory(email="bob@example.com", password=PASSWORD)
    for i, email in enumerate(["ann@example.com", "ANN@example.com", " Ann@Example.COM"] * 4):
        _login(client, email, "wrong", ip=f"10.0.0.{i}")
    _assert_locked_out(_login(client, "ann@example.com", PASSWORD, ip="10.9.9.9"))

    assert _login(client, "bob@example.com", PASSWORD).status_code == 302  # others unaffected


def test_an_unknown_address_locks_exactly_like_a_real_one(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    pages = {}
    for email in ("ann@example.com", "nobody@example.com"):
        responses = [_login(client, email, "wrong") for _ in range(11)]
        pages[email] = [(r.status_code, _without_csrf(r.content.decode().replace(email, "EMAIL"))) for r in responses]
    assert pages["ann@example.com"] == pages["nobody@example.com"]


def test_one_client_failing_on_many_accounts_is_locked_out(client):
    for i in range(50):
        _login(client, f"guess{i}@example.com", "wrong", ip="203.0.113.7")
    UserFactory(email="ann@example.com", password=PASSWORD)

    _assert_locked_out(_login(client, "ann@example.com", PASSWORD, ip="203.0.113.7"))
    assert _login(client, "ann@example.com", PASSWORD, ip="198.51.100.1").status_code == 302


def test_the_client_limit_is_separate_from_the_account_limit(client, settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 12
    UserFactory(email="ann@example.com", password=PASSWORD)
    for i in range(11):  # 11 failures from one address, each on another account
        _login(client, f"guess{i}@example.com", "wrong")
    assert _login(client, "ann@example.com", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_account_count(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    for _ in range(9):
        _login(client, "ann@example.com", "wrong")
    assert _login(client, "ann@example.com", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(9):
        assert _login(client, "ann@example.com", "wrong").status_code == 200  # count restarted


def test_logging_in_to_ones_own_account_does_not_clear_the_clients_other_failures(client, settings):
    """A sprayer with an account of its own must not reset its address's count with it."""
    settings.LOGIN_FAILURES_PER_CLIENT = 5
    UserFactory(email="own@example.com", password=PASSWORD)
    for i in range(4):
        _login(client, f"guess{i}@example.com", "wrong")
    assert _login(client, "own@example.com", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    _assert_locked_out(_login(client, "guess9@example.com", "wrong"))  # the 5th


def test_admin_login_locks_out_the_same_way(client):
    UserFactory(email="boss@example.com", password=PASSWORD, roles=[ADMIN])
    for _ in range(30):
        _login(client, "boss@example.com", "wrong", url=ADMIN_LOGIN)

    response = _login(client, "boss@example.com", PASSWORD, url=ADMIN_LOGIN)

    _assert_locked_out(response)
    assert not _logged_in(client) and client.get("/admin/").status_code == 302


def test_portal_and_admin_failures_add_up(client):
    UserFactory(email="boss@example.com", password=PASSWORD, roles=[ADMIN])
    for _ in range(5):
        _login(client, "boss@example.com", "wrong", url=ADMIN_LOGIN)
        _login(client, "boss@example.com", "wrong")
    _assert_locked_out(_login(client, "boss@example.com", PASSWORD, url=ADMIN_LOGIN))
    _assert_locked_out(_login(client, "boss@example.com", PASSWORD))


def test_a_json_client_gets_the_api_error_shape(client):
    for _ in range(10):
        _login(client, "ann@example.com", "wrong")
    response = _login(client, "ann@example.com", PASSWORD, HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response.json() == {
        "error": {"code": "locked_out", "message": "Too many failed attempts. Please wait a while, then try again.",
                  "field": None}
    }


def test_a_lockout_is_logged_without_the_password(client, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        for _ in range(10):
            _login(client, "ann@example.com", "Hunter2-wrong", ip="192.0.2.5")
        _login(client, "ann@example.com", "Hunter2-right", ip="192.0.2.5")
    messages = [r.getMessage() for r in caplog.records if r.name == "accounts.lockout"]
    assert messages == [
        "login locked out: account='ann@example.com' client=192.0.2.5 path=/accounts/login/",
        "login refused during lockout: account='ann@example.com' client=192.0.2.5 path=/accounts/login/",
    ]
    assert "Hunter2" not in caplog.text


def test_lockouts_are_recorded_and_visible_to_admins_only(client):
    for _ in range(10):
        _login(client, "ann@example.com", "wrong", ip="192.0.2.5")
    attempt = AccessAttempt.objects.get(username="ann@example.com")
    assert attempt.failures_since_start == 10 and attempt.ip_address == "192.0.2.5"
    assert "wrong" not in attempt.post_data
    assert AccessFailureLog.objects.filter(username="ann@example.com", locked_out=True).count() == 1

    client.force_login(UserFactory(roles=[ADMIN]))
    for url in ("/admin/axes/accessattempt/", "/admin/axes/accessfailurelog/"):
        page = client.get(url)
        assert page.status_code == 200 and "ann@example.com" in page.content.decode(), url

    client.force_login(curator())
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    client.force_login(advocate())
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 302 and ADMIN_LOGIN in response.url


def test_deleting_the_attempt_lifts_the_lockout(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    for _ in range(10):
        _login(client, "ann@example.com", "wrong")
    AccessAttempt.objects.filter(username="ann@example.com").delete()  # what an admin does
    assert _login(client, "ann@example.com", PASSWORD).status_code == 302


def test_credential_checks_outside_authenticate_share_the_counts(rf, client):
    """The hooks a future API token check uses count against the same account and client."""
    request = rf.post("/api/v1/token/", REMOTE_ADDR="192.0.2.9")
    assert login_allowed(request, username="ann@example.com")
    for _ in range(10):
        login_failed(rf.post("/api/v1/token/", REMOTE_ADDR="192.0.2.9"), username="ANN@example.com")
    assert not login_allowed(rf.post("/api/v1/token/", REMOTE_ADDR="192.0.2.10"), username="ann@example.com")

    UserFactory(email="ann@example.com", password=PASSWORD)
    _assert_locked_out(_login(client, "ann@example.com", PASSWORD))


def test_client_ip_behind_proxies(rf, settings):
    def request(forwarded: str = ""):
        return rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request("6.6.6.6")) == "10.0.0.1"  # no proxy configured: header ignored
    settings.CLIENT_IP_PROXY_COUNT = 1
    assert client_ip(request("6.6.6.6, 203.0.113.4")) == "203.0.113.4"  # forged entry ignored
    assert client_ip(request("")) == "10.0.0.1"
    assert client_ip(request("not-an-ip")) == "10.0.0.1"
    settings.CLIENT_IP_PROXY_COUNT = 2
    assert client_ip(request("203.0.113.4, 198.51.100.2")) == "203.0.113.4"


def test_lockouts_follow_the_client_behind_a_proxy(client, settings):
    settings.CLIENT_IP_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_CLIENT = 5
    for i in range(5):
        _login(client, f"guess{i}@example.com", "wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.4")
    UserFactory(email="ann@example.com", password=PASSWORD)
    _assert_locked_out(
        _login(client, "ann@example.com", PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.4")
    )
    response = _login(client, "ann@example.com", PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 302


# --- Password reset


def _reset(client, email: str, ip: str = "127.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def _answer(response) -> tuple[int, str]:
    return response.status_code, response["Location"]


def test_reset_sends_at_most_three_emails_per_address_and_always_answers_the_same(client, redis_url):
    UserFactory(email="ann@example.com")
    unknown = _answer(_reset(client, "nobody@example.com"))

    answers = [_answer(_reset(client, "ann@example.com", ip=f"10.0.0.{i}")) for i in range(10)]
    answers += [_answer(_reset(client, "ANN@example.com"))]

    assert len(mail.outbox) == 3 and {m.to[0] for m in mail.outbox} == {"ann@example.com"}
    assert set(answers) == {unknown} == {(302, reverse("password_reset_done"))}
    assert _answer(_reset(client, "nobody@example.com")) == unknown
    page = client.get(reverse("password_reset_done")).content.decode()
    assert "If an account exists for that address" in page


def test_reset_limits_each_client(client, redis_url):
    for i in range(25):
        UserFactory(email=f"p{i}@example.com")
    answers = {_answer(_reset(client, f"p{i}@example.com", ip="203.0.113.7")) for i in range(25)}
    assert len(mail.outbox) == 20 and answers == {(302, reverse("password_reset_done"))}

    _reset(client, "p24@example.com", ip="198.51.100.1")  # another client still gets through
    assert len(mail.outbox) == 21 and mail.outbox[-1].to == ["p24@example.com"]


def test_an_invalid_reset_form_is_not_counted(client, redis_url):
    UserFactory(email="ann@example.com")
    for _ in range(5):
        assert _reset(client, "not an email").status_code == 200
    _reset(client, "ann@example.com")
    assert len(mail.outbox) == 1


def test_password_checks_behind_a_session_count_towards_the_lockout(client, settings):
    """A stolen session must not guess the password without limit on the delete-account or
    change-password pages."""
    user = UserFactory(email="kim@example.com")
    client.force_login(user)
    for n in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        url = reverse("account_delete") if n % 2 else reverse("password_change")
        field = "password" if n % 2 else "old_password"
        data = {field: "wrong guess"} | ({} if n % 2 else {"new_password1": "Xy7!long-enough-pw",
                                                            "new_password2": "Xy7!long-enough-pw"})
        response = client.post(url, data)
        assert response.status_code in (200, 400, 429)  # the last one locks out
    response = client.post(reverse("account_delete"), {"password": "correct horse battery"})
    assert response.status_code == 400 and "Too many wrong passwords" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active and user.email == "kim@example.com"
    response = client.post(reverse("password_change"), {
        "old_password": "correct horse battery", "new_password1": "Xy7!long-enough-pw",
        "new_password2": "Xy7!long-enough-pw"})
    assert response.status_code == 200 and "Too many wrong passwords" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("correct horse battery")
