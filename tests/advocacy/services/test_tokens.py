"""Token lifecycle against the sandbox: refresh, rotation under concurrency, expiry warnings."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from advocacy.models import SocialAccount
from advocacy.services.tokens import (
    account_access_token,
    account_refresh,
    accounts_refresh_due,
    accounts_warn_expiring,
)
from networks import AuthError
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
