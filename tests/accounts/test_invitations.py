from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from freezegun import freeze_time

from accounts.services.invitations import invitation_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-unusual-passphrase-42"


@pytest.fixture
def invitee():
    user = UserFactory(advocate_opted_in_at=None, roles=[])
    user.set_unusable_password()
    user.save()
    return user


def accept_url(user) -> str:
    return reverse("accept_invitation", args=[invitation_token(user)])


def test_accepting_sets_password_opts_in_and_logs_in(client, invitee):
    url = accept_url(invitee)
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("onboarding")  # the welcome steps
    invitee.refresh_from_db()
    assert invitee.check_password(PASSWORD)
    assert invitee.advocate_opted_in_at is not None and invitee.invitation_accepted_at is not None
    assert client.get(reverse("home")).status_code == 200  # logged in


def test_link_works_only_once(client, invitee):
    url = accept_url(invitee)
    client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()
    response = client.post(url, {"new_password1": "other-Passphrase-99", "new_password2": "other-Passphrase-99"})
    assert response.status_code == 400
    assert "already accepted" in response.content.decode()
    invitee.refresh_from_db()
    assert invitee.check_password(PASSWORD)


def test_expired_link_is_refused(client, invitee, settings):
    with freeze_time("2026-01-01 09:00"):
        url = accept_url(invitee)
    with freeze_time("2026-01-01 09:00") as frozen:
        frozen.tick(timedelta(seconds=settings.INVITATION_MAX_AGE + 1))
        response = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 400 and "expired" in response.content.decode()
    invitee.refresh_from_db()
    assert not invitee.has_usable_password() and invitee.advocate_opted_in_at is None


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"), lambda t: "x" + t])
def test_tampered_link_is_refused(client, invitee, mangle):
    token = mangle(invitation_token(invitee))
    response = client.post(
        reverse("accept_invitation", args=[token]), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert response.status_code == 400 and "not valid" in response.content.decode()
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()


def test_forged_payload_for_another_user_is_refused(client, invitee):
    other = UserFactory()
    forged = signing.dumps({"u": other.pk, "n": other.invitation_nonce}, salt="wrong-salt")
    response = client.get(reverse("accept_invitation", args=[forged]))
    assert response.status_code == 400


def test_weak_password_is_rejected_and_changes_nothing(client, invitee):
    response = client.post(accept_url(invitee), {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and "too short" in response.content.decode()
    invitee.refresh_from_db()
    assert invitee.invitation_accepted_at is None
