"""Token lifecycle against the sandbox: refresh, rotation under concurrency, expiry warnings."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.core import mail
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from advocacy.models import SocialAccount
from advocacy.services.tokens import (
    account_access_token,
    account_refresh,
    accounts_refresh_due,
    accounts_warn_expiring,
)
from networks import AuthError, ConfigError, TransientError
from notifications.models import Notification
from tests.factories import SocialAccountFactory, UserFactory
from tests.support import connect_account


def expire(account: SocialAccount) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_expired_x_token_is_refreshed_and_the_refresh_token_rotates(networks, redis_url):
    account = connect_account(UserFactory(), "x", networks)
    old_access, old_refresh = account.access_token, account.refresh_token
    expire(account)
    account.refresh_from_db()
    token = account_access_token(account=account)
    account.refresh_from_db()
    assert token.access_token == account.access_token != old_access
    assert account.refresh_token != old_refresh and account.expires_at > timezone.now()
    # The old refresh token is dead at the provider: keeping it would have lost the account.
    from networks.registry import get_adapter

    with pytest.raises(AuthError):
        get_adapter("x").refresh(refresh_token=old_refresh)


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_do_not_lose_the_account(networks, redis_url):
    account = connect_account(UserFactory(), "x", networks)
    expire(account)
    errors = []
    # Each worker loaded the (expired) account before the race, as a real task would have.
    copies = [SocialAccount.objects.get(pk=account.pk) for _ in range(4)]

    def worker(copy):
        try:
            account_refresh(account=copy)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(copy,)) for copy in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    account.refresh_from_db()
    assert account.status == "active"
    # Exactly one refresh happened, and the stored refresh token still works.
    refreshed = account_refresh(account=account, force=True)
    assert refreshed.status == "active" and refreshed.refresh_token != account.refresh_token


@pytest.mark.django_db
def test_dead_refresh_token_marks_reconnect_and_tells_the_employee(networks, redis_url):
    account = connect_account(UserFactory(), "x", networks)
    expire(account)
    networks.faults.next("revoked_token", network="x", group="oauth")
    account.refresh_from_db()
    with pytest.raises(AuthError):
        account_access_token(account=account)
    account.refresh_from_db()
    assert account.status == "reconnect"
    assert Notification.objects.filter(user=account.user, kind="reconnect").count() == 1
    assert "/connections/x/connect/" in mail.outbox[-1].body


@pytest.mark.django_db
def test_refresh_due_sweep(networks, redis_url):
    account = connect_account(UserFactory(), "x", networks)
    SocialAccount.objects.filter(pk=account.pk).update(expires_at=timezone.now() + timedelta(minutes=10))
    before = SocialAccount.objects.get(pk=account.pk).access_token
    assert accounts_refresh_due() == 1
    assert SocialAccount.objects.get(pk=account.pk).access_token != before


@pytest.mark.django_db
def test_linkedin_expiry_warnings_7_days_and_1_day_once_each():
    user = UserFactory()
    account = SocialAccountFactory(user=user, network="linkedin", refresh_token="",
                                   connected_at=timezone.now() - timedelta(days=53, hours=4),
                                   expires_at=timezone.now() + timedelta(days=6, hours=20))
    far = SocialAccountFactory(network="linkedin", refresh_token="", expires_at=timezone.now() + timedelta(days=30))
    assert accounts_warn_expiring() == 1
    assert accounts_warn_expiring() == 0  # the 7-day warning is sent once
    account.refresh_from_db()
    assert account.status == "expiring"
    SocialAccount.objects.filter(pk=account.pk).update(expires_at=timezone.now() + timedelta(hours=20))
    assert accounts_warn_expiring() == 1
    assert accounts_warn_expiring() == 0
    notes = Notification.objects.filter(user=user, kind="expiring")
    assert notes.count() == 2 and all(n.url == "/connections/linkedin/connect/" for n in notes)
    assert len([m for m in mail.outbox if "expires in" in m.subject]) == 2
    assert not Notification.objects.filter(user=far.user).exists()
    SocialAccount.objects.filter(pk=account.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    accounts_warn_expiring()
    assert SocialAccount.objects.get(pk=account.pk).status == "reconnect"


# --------------------------------------------------------------------------- provider-shaped refresh answers

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
X_TOKEN = "https://api.x.com/2/oauth2/token"
LI_TOKEN = "https://www.linkedin.com/oauth/v2/accessToken"


@pytest.fixture
def real_hosts(settings):
    """Chorus configured for the real provider hosts (``responses`` answers for them)."""
    settings.LINKEDIN_AUTH_URL = "https://www.linkedin.com/oauth/v2"
    settings.LINKEDIN_API_URL = "https://api.linkedin.com"
    settings.LINKEDIN_CLIENT_ID, settings.LINKEDIN_CLIENT_SECRET = "li-client-id", "li-client-secret-Zq81"
    settings.X_API_URL = "https://api.x.com"
    settings.X_CLIENT_ID, settings.X_CLIENT_SECRET = "x-client-id", "x-client-secret-Pw42"
    settings.ADMINS = [("Ops", "ops@example.com")]
    return settings


@pytest.fixture
def mocked(real_hosts) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def x_account(**kwargs) -> SocialAccount:
    values = {"network": "x", "scopes": "tweet.read tweet.write users.read offline.access",
              "access_token": "x-access-old-Vb7r2Lq9mW", "refresh_token": "x-refresh-old-Hs4p8Kd2nX",
              "connected_at": NOW - timedelta(days=3), "expires_at": NOW + timedelta(minutes=10)}
    values.update(kwargs)
    return SocialAccountFactory(**values)


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "body", "content_type"), [
    (503, '{"error": "server_error", "error_description": "Service Unavailable"}', "application/json"),
    (502, "<html><head><title>502 Bad Gateway</title></head></html>", "text/html"),
    (200, "<!DOCTYPE html><html><body>Down for maintenance</body></html>", "text/html"),
])
def test_token_endpoint_outage_is_transient_retried_later_never_reconnect_never_email(
    mocked, redis_url, status, body, content_type
):
    account = x_account()
    outage = mocked.post(X_TOKEN, status=status, body=body, content_type=content_type)
    with freeze_time(NOW) as clock:
        assert accounts_refresh_due() == 0
        # Still valid for ten minutes: sharing keeps using the current token meanwhile.
        assert account_access_token(account=SocialAccount.objects.get(pk=account.pk)).access_token == \
            "x-access-old-Vb7r2Lq9mW"
        clock.move_to(NOW + timedelta(minutes=11))  # expired, and the provider still down
        with pytest.raises(TransientError):
            account_access_token(account=SocialAccount.objects.get(pk=account.pk))
        account.refresh_from_db()
        assert (account.status, account.last_error, account.refresh_token) == ("active", "", "x-refresh-old-Hs4p8Kd2nX")
        assert not Notification.objects.exists() and mail.outbox == []

        mocked.remove(outage)
        mocked.post(X_TOKEN, json={"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-new-Jt6",
                                   "refresh_token": "x-refresh-new-Wm3", "scope": "tweet.read tweet.write "
                                   "users.read offline.access"})
        assert accounts_refresh_due() == 1  # the next beat
    account.refresh_from_db()
    assert (account.access_token, account.refresh_token, account.status) == ("x-access-new-Jt6", "x-refresh-new-Wm3",
                                                                              "active")
    assert account.expires_at == NOW + timedelta(minutes=11, hours=2)


@pytest.mark.django_db
@pytest.mark.parametrize("error", ["unauthorized_client", "invalid_client"])
def test_x_refresh_refused_for_app_configuration_alerts_admins_hourly_and_leaves_the_account(
    mocked, redis_url, error
):
    accounts = [x_account(), x_account()]
    mocked.post(X_TOKEN, status=401 if error == "invalid_client" else 400,
                json={"error": error, "error_description": "Missing valid authorization header"})
    with freeze_time(NOW):
        assert accounts_refresh_due() == 0
        assert accounts_refresh_due() == 0  # the next beat: still refused, no second email
    [alert] = mail.outbox
    assert alert.to == ["ops@example.com"] and "Chorus: X refuses to renew connections" in alert.subject
    assert "Missing valid authorization header" in alert.body
    for account in accounts:
        account.refresh_from_db()
        assert (account.status, account.last_error, account.refresh_token) == (
            "active", "", "x-refresh-old-Hs4p8Kd2nX")
    assert not Notification.objects.exists()
    # Expired while the app is refused: the share cannot go, but the account is not the problem.
    with freeze_time(NOW), pytest.raises(ConfigError):
        account_access_token(account=_expired(accounts[0]))
    assert SocialAccount.objects.get(pk=accounts[0].pk).status == "active" and len(mail.outbox) == 1


def _expired(account: SocialAccount) -> SocialAccount:
    SocialAccount.objects.filter(pk=account.pk).update(expires_at=NOW - timedelta(minutes=1))
    return SocialAccount.objects.get(pk=account.pk)


@pytest.mark.django_db
def test_linkedin_refresh_tokens_are_refreshed_days_before_expiry_instead_of_warning(mocked, redis_url):
    due = SocialAccountFactory(network="linkedin", access_token="li-access-old", refresh_token="li-refresh-Rk2",
                               refresh_expires_at=NOW + timedelta(days=300), connected_at=NOW - timedelta(days=56),
                               expires_at=NOW + timedelta(days=4))
    later = SocialAccountFactory(network="linkedin", refresh_token="li-refresh-Other",
                                 connected_at=NOW - timedelta(days=54), expires_at=NOW + timedelta(days=6))
    # LinkedIn's programmatic refresh: the same refresh token, its remaining life, comma scopes.
    token = mocked.post(LI_TOKEN, json={
        "access_token": "li-access-new-Qz5", "expires_in": 5184000, "refresh_token": "li-refresh-Rk2",
        "refresh_token_expires_in": 25920000, "scope": "email,openid,profile,w_member_social",
    })
    with freeze_time(NOW):
        assert accounts_refresh_due() == 1
        assert accounts_warn_expiring() == 0
    assert token.call_count == 1
    due.refresh_from_db()
    assert (due.access_token, due.refresh_token, due.status) == ("li-access-new-Qz5", "li-refresh-Rk2", "active")
    assert due.expires_at == NOW + timedelta(days=60)
    assert due.refresh_expires_at == NOW + timedelta(days=300)
    assert due.scope_set == {"email", "openid", "profile", "w_member_social"}
    assert SocialAccount.objects.get(pk=later.pk).expires_at == NOW + timedelta(days=6)  # not yet
    assert not Notification.objects.exists() and mail.outbox == []


@pytest.mark.django_db
def test_x_refresh_without_a_new_refresh_token_leaves_an_unrenewable_account_warned_once(mocked, redis_url):
    account = x_account()
    mocked.post(X_TOKEN, json={"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-new-Jt6",
                               "scope": "tweet.read tweet.write users.read"})
    with freeze_time(NOW):
        assert accounts_refresh_due() == 1
    account.refresh_from_db()
    # X rotates refresh tokens: without a new one the old one is dead, so none is kept.
    assert (account.refresh_token, account.status) == ("", "expiring")
    assert account.expires_at == NOW + timedelta(hours=2)
    [note] = Notification.objects.filter(user=account.user)
    assert note.kind == "expiring" and note.title == "Your X connection expires in 2 hours"
    assert "can't renew itself" in note.body and "60 days" not in note.body
    with freeze_time(NOW + timedelta(hours=1)):
        assert accounts_warn_expiring() == 0
