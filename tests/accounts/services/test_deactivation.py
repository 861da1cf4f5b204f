"""accounts.services.users.user_deactivate / user_reactivate, and what the layers above do
when a person is deactivated: their pending shares cancelled, their LinkedIn and X grants
revoked at the sandbox networks over loopback (tokens gone even when a provider fails), no
more emails, no more sessions — and the admin's "active" box and bulk actions going through
the same service."""

import logging
import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import ADMIN
from accounts.services.users import user_deactivate, user_reactivate
from accounts.signals import user_deactivated, user_reactivated
from advocacy.models import AccountStatus, Share, ShareStatus, SocialAccount
from networks.registry import get_adapter
from notifications.models import EmailDelivery
from notifications.services.deliveries import deliveries_claim, deliveries_send
from notifications.services.digests import digest_chunk
from notifications.services.schedule import due_user_ids
from notifications.targeting import fanout_recipient_ids
from tests.factories import SocialAccountFactory, UserFactory, advocate, published_item
from tests.support import connect_account, signals_heard

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """What user_deactivated / user_reactivated announced."""
    with signals_heard(deactivated=user_deactivated, reactivated=user_reactivated) as events:
        yield events


def _share(user, status: str, account=None, **extra) -> Share:
    return Share.objects.create(
        user=user, item=published_item(), network="linkedin", account=account, text="t", final_text="t",
        idempotency_key=uuid.uuid4().hex, status=status, **extra,
    )


def test_deactivate_is_idempotent_audited_and_announced_after_commit(heard, django_capture_on_commit_callbacks):
    ann, admin = advocate(), UserFactory(roles=[ADMIN])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert user_deactivate(user=ann, by=admin, source="admin") is True
        assert heard == []  # not before the commit
    assert len(callbacks) == 1
    assert [(kind, kw["user"].pk, kw["by"], kw["source"]) for kind, kw in heard] == [
        ("deactivated", ann.pk, admin, "admin")]
    assert not User.objects.get(pk=ann.pk).is_active and not ann.is_active
    entry = LogEntry.objects.get(additional_data__event="user deactivated")
    assert entry.actor_id == admin.pk and entry.additional_data["source"] == "admin"
    assert entry.changes == {"is_active": ["True", "False"]}

    with django_capture_on_commit_callbacks(execute=True):
        assert user_deactivate(user=ann, source="scim") is False  # already: nothing announced again
    assert len(heard) == 1 and LogEntry.objects.filter(additional_data__event="user deactivated").count() == 1


def test_reactivate_is_the_reverse_and_restores_nothing(heard, django_capture_on_commit_callbacks):
    ann = advocate()
    scheduled = _share(ann, ShareStatus.SCHEDULED, scheduled_for=timezone.now() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=ann, source="api")
    with django_capture_on_commit_callbacks(execute=True):
        assert user_reactivate(user=ann, source="api") is True
        assert user_reactivate(user=ann, source="api") is False
    assert [kind for kind, _ in heard] == ["deactivated", "reactivated"]
    assert User.objects.get(pk=ann.pk).is_active
    assert Share.objects.get(pk=scheduled.pk).status == ShareStatus.CANCELLED  # stays cancelled
    assert LogEntry.objects.filter(additional_data__event="user reactivated").count() == 1


def test_an_unknown_source_is_refused():
    ann = advocate()
    with pytest.raises(ValueError, match="Unknown source"):
        user_deactivate(user=ann, source="nobody")
    assert User.objects.get(pk=ann.pk).is_active


def test_a_rollback_announces_nothing(heard, django_capture_on_commit_callbacks):
    from django.db import transaction

    ann = advocate()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            user_deactivate(user=ann, source="admin")
            raise RuntimeError("later step failed")
    assert heard == [] and User.objects.get(pk=ann.pk).is_active


def test_deactivation_cancels_pending_shares_and_revokes_connections_at_the_provider(
        networks, django_capture_on_commit_callbacks):
    ann, bob = advocate(), advocate()
    accounts = {network: connect_account(ann, network, networks) for network in ("linkedin", "x")}
    tokens = {n: [t for t in (a.access_token, a.refresh_token) if t] for n, a in accounts.items()}
    bob_account = connect_account(bob, "linkedin", networks)
    li = accounts["linkedin"]
    queued = _share(ann, ShareStatus.QUEUED, li)
    scheduled = _share(ann, ShareStatus.SCHEDULED, li, scheduled_for=timezone.now() + timedelta(hours=2))
    retrying = _share(ann, ShareStatus.QUEUED, li, attempts=1, next_attempt_at=timezone.now())
    maybe_landed = _share(ann, ShareStatus.QUEUED, li, attempts=1, ambiguous_at=timezone.now())
    posting = _share(ann, ShareStatus.POSTING, li, attempts=1)
    posted = _share(ann, ShareStatus.POSTED, li, remote_id="urn:li:share:9", posted_at=timezone.now())
    bobs = _share(bob, ShareStatus.QUEUED, bob_account)

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=ann, source="scim")

    status = dict(Share.objects.values_list("pk", "status"))
    assert [status[s.pk] for s in (queued, scheduled, retrying)] == [ShareStatus.CANCELLED] * 3
    # Already sent (or perhaps sent): not recalled, the worker settles them.
    assert status[posting.pk] == ShareStatus.POSTING and status[maybe_landed.pk] == ShareStatus.QUEUED
    assert status[posted.pk] == ShareStatus.POSTED and status[bobs.pk] == ShareStatus.QUEUED
    for account in SocialAccount.objects.filter(user=ann):
        assert (account.status, account.access_token, account.refresh_token) == (AccountStatus.REVOKED, "", "")
    for network, values in tokens.items():
        assert values and all(networks.state.token(v, network).revoked for v in values), network
    bob_account.refresh_from_db()
    assert bob_account.is_usable and not networks.state.token(bob_account.access_token, "linkedin").revoked


def test_a_provider_that_fails_the_revocation_does_not_keep_the_tokens(
        networks, caplog, django_capture_on_commit_callbacks):
    ann = advocate()
    account = connect_account(ann, "x", networks)
    secret = account.access_token
    networks.faults.add("error", network="x", group="oauth", status=503)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=ann, source="admin")
    account.refresh_from_db()
    assert (account.status, account.access_token, account.refresh_token) == (AccountStatus.REVOKED, "", "")
    assert "deleting the tokens anyway" in caplog.text or "unconfirmed" in caplog.text
    assert secret not in caplog.text


def test_an_unexpected_error_while_revoking_does_not_keep_the_tokens(
        monkeypatch, caplog, django_capture_on_commit_callbacks):
    ann = advocate()
    account = SocialAccountFactory(user=ann, network="linkedin", access_token="li-secret-access-token-77",
                                   refresh_token="li-secret-refresh-token-88")
    adapter = get_adapter("linkedin")

    def broken(*, token):
        raise RuntimeError(f"bug while revoking {token}")

    monkeypatch.setattr(type(adapter), "revoke", lambda self, *, token: broken(token=token))
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=ann, source="admin")
    account.refresh_from_db()
    assert (account.status, account.access_token, account.refresh_token) == (AccountStatus.REVOKED, "", "")
    assert "RuntimeError" in caplog.text and "li-secret" not in caplog.text


def test_the_session_stops_working_at_once(django_capture_on_commit_callbacks):
    ann = advocate()
    client = Client()
    client.force_login(ann)
    assert client.get(reverse("home")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=ann, source="admin")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_no_digest_nor_new_content_email_reaches_a_deactivated_person(django_capture_on_commit_callbacks):
    now = timezone.now()
    ann = advocate(notification_preference="weekly", digest_weekday=now.weekday(), digest_hour=now.hour,
                   timezone="UTC")
    bob = advocate(notification_preference="weekly", digest_weekday=now.weekday(), digest_hour=now.hour,
                   timezone="UTC")
    published_item(target_everyone=True, published_at=now - timedelta(days=1))
    item = published_item(target_everyone=True)
    # Already claimed for Ann before she was deactivated: a digest waiting to be sent.
    deliveries_claim(kind="weekly_digest", period="claimed-before", recipients={ann.pk: ann.email},
                     claim_token="queued-run")
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=ann, source="scim")

    due = due_user_ids(kind="weekly_digest", now=now)
    assert any(bob.pk in ids for ids in due.values()) and not any(ann.pk in ids for ids in due.values())
    assert ann.pk not in fanout_recipient_ids(item)
    mail.outbox.clear()
    deliveries_send(claim_token="queued-run")
    digest_chunk(kind="weekly_digest", period="2099-W01", user_ids=[ann.pk, bob.pk], claim_token="later-run")
    assert [m.to for m in mail.outbox] == [[bob.email]]
    queued = EmailDelivery.objects.get(claim_token="queued-run")
    assert queued.status == "failed" and queued.next_attempt_at is None  # for good: never retried
    assert not EmailDelivery.objects.filter(user=ann, claim_token="later-run").exists()


# --- the admin --------------------------------------------------------------------------


def _admin_client() -> tuple[Client, User]:
    admin = UserFactory(roles=[ADMIN])
    client = Client()
    client.force_login(admin)
    return client, admin


def test_unticking_active_in_the_admin_deactivates_with_every_side_effect(
        networks, django_capture_on_commit_callbacks):
    ann = advocate(full_name="Ann Lee")
    account = connect_account(ann, "linkedin", networks)
    token = account.access_token
    scheduled = _share(ann, ShareStatus.SCHEDULED, account, scheduled_for=timezone.now() + timedelta(days=1))
    client, admin = _admin_client()
    url = reverse("admin:accounts_user_change", args=[ann.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("password", "last_login",
                                                                                  "date_joined")}
    data.update(groups=[g.pk for g in ann.groups.all()], is_active="", team=ann.team_id or "",
                advocate_opted_in_at_0="", advocate_opted_in_at_1="")
    data.pop("is_active")
    data.pop("advocate_opted_in_at", None)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not User.objects.get(pk=ann.pk).is_active
    assert Share.objects.get(pk=scheduled.pk).status == ShareStatus.CANCELLED
    assert networks.state.token(token, "linkedin").revoked
    entry = LogEntry.objects.get(additional_data__event="user deactivated")
    assert entry.actor_id == admin.pk and entry.additional_data["source"] == "admin"


def test_the_bulk_actions_deactivate_and_reactivate_but_never_yourself(heard, django_capture_on_commit_callbacks):
    ann, bob = advocate(), advocate()
    client, admin = _admin_client()
    url = reverse("admin:accounts_user_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "deactivate", "_selected_action": [ann.pk, bob.pk, admin.pk]})
    assert not User.objects.get(pk=ann.pk).is_active and not User.objects.get(pk=bob.pk).is_active
    assert User.objects.get(pk=admin.pk).is_active
    assert sorted(kw["user"].pk for kind, kw in heard if kind == "deactivated") == sorted([ann.pk, bob.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "reactivate", "_selected_action": [ann.pk]})
    assert User.objects.get(pk=ann.pk).is_active and not User.objects.get(pk=bob.pk).is_active
