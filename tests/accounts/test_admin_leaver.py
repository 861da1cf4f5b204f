"""A leaver's data in the people admin: Admins (and superusers) export it and delete the
account, with a confirmation page; nobody else, never their own, a superuser's only by a
superuser."""

import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.models import User
from accounts.roles import ADMIN, CURATOR
from advocacy.models import SocialAccount
from tests.accounts.conftest import analytics_totals
from tests.factories import SocialAccountFactory, UserFactory, advocate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(roles=[ADMIN], full_name="Ada Admin")


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root@example.com", "a-Long-passphrase-42", full_name="Root")


def export_url(user: User) -> str:
    return reverse("admin:accounts_user_export_data", args=[user.pk])


def delete_url(user: User) -> str:
    return reverse("admin:accounts_user_delete_account", args=[user.pk])


def test_the_change_page_offers_both_to_an_admin_only(client, admin_user):
    tim = advocate(full_name="Tim Target")
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_user_change", args=[tim.pk])).content.decode()
    assert export_url(tim) in page and delete_url(tim) in page and "Delete account (leaver)" in page
    # Their own page: export yes, delete no (My data is the way).
    own = client.get(reverse("admin:accounts_user_change", args=[admin_user.pk])).content.decode()
    assert export_url(admin_user) in own and delete_url(admin_user) not in own

    client.force_login(UserFactory(roles=[CURATOR]))  # staff who may view people, not an Admin
    page = client.get(reverse("admin:accounts_user_change", args=[tim.pk])).content.decode()
    assert export_url(tim) not in page and delete_url(tim) not in page
    assert client.get(export_url(tim)).status_code == 403
    assert client.post(delete_url(tim), {"confirm": "on"}).status_code == 403
    assert User.objects.get(pk=tim.pk).is_active


def test_an_admin_exports_a_leavers_data(client, admin_user):
    tim = advocate(full_name="Tim Target", email="tim@example.com")
    SocialAccountFactory(user=tim, access_token="tim-secret-token")
    client.force_login(admin_user)
    response = client.get(export_url(tim))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="chorus-data-user-{tim.pk}-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert json.loads(archive.read("profile.json"))["email"] == "tim@example.com"
        assert b"tim-secret-token" not in b"".join(archive.read(n) for n in archive.namelist())
    entry = LogEntry.objects.get(additional_data__event="data exported")
    assert entry.object_pk == str(tim.pk) and entry.actor_id == admin_user.pk and entry.additional_data["by"] == "admin"


def test_the_confirmation_page_then_the_deletion(client, admin_user, history, networks):
    ann = history.ann
    before = analytics_totals(history)
    client.force_login(admin_user)
    page = client.get(delete_url(ann))
    assert page.status_code == 200
    text = page.content.decode()
    assert "This cannot be undone" in text and "ann@example.com" in text and "Yes, delete this account" in text

    unconfirmed = client.post(delete_url(ann), {"note": "Left"})
    assert unconfirmed.status_code == 400 and "Tick the box to confirm" in unconfirmed.content.decode()
    assert User.objects.get(pk=ann.pk).is_active and SocialAccount.objects.filter(user=ann).count() == 2

    response = client.post(delete_url(ann), {"confirm": "on", "note": "Left on 31 March"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:accounts_user_change", args=[ann.pk])
    messages = [str(m) for m in response.context["messages"]]
    assert messages and messages[0].startswith("The account of Ann Lee was deleted: ")
    assert "Account deleted" in response.content.decode()
    stub = User.objects.get(pk=ann.pk)
    assert not stub.is_active and stub.email == f"deleted-user-{ann.pk}@invalid"
    assert not SocialAccount.objects.filter(user=ann).exists()
    assert all(networks.state.token(v, n).revoked for n, values in history.tokens.items() for v in values)
    assert analytics_totals(history) == before
    entry = LogEntry.objects.get(additional_data__event="account deleted")
    assert entry.actor_id == admin_user.pk and entry.additional_data["note"] == "Left on 31 March"
    # Done is done: a second attempt is refused and changes nothing.
    again = client.post(delete_url(ann), {"confirm": "on"})
    assert again.status_code == 403 and "already been deleted" in again.content.decode()
    assert LogEntry.objects.filter(additional_data__event="account deleted").count() == 1


def test_never_yourself_and_a_superuser_only_by_a_superuser(client, admin_user, superuser):
    client.force_login(admin_user)
    own = client.post(delete_url(admin_user), {"confirm": "on"})
    assert own.status_code == 403 and "use My data" in own.content.decode()
    assert client.get(export_url(superuser)).status_code == 403
    assert client.post(delete_url(superuser), {"confirm": "on"}).status_code == 403
    assert User.objects.get(pk=admin_user.pk).is_active and User.objects.get(pk=superuser.pk).is_active

    client.force_login(superuser)
    assert client.post(delete_url(superuser), {"confirm": "on"}).status_code == 403
    response = client.post(delete_url(admin_user), {"confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.get(pk=admin_user.pk).is_active
