"""Connecting LinkedIn and X through the real OAuth flow against the sandbox networks."""

import html
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from advocacy.models import SocialAccount
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def start(client, network):
    response = client.get(reverse("connect", args=[network]))
    assert response.status_code == 302
    return response["Location"]


def consent(authorize_url: str, decision: str = "allow", name: str = "Ann Lee") -> dict[str, str]:
    """What the employee's browser does on the provider's page: click Allow (or Cancel)."""
    response = requests.get(authorize_url, params={"decision": decision, "name": name},
                            allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:500]
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def callback(client, network, params):
    return client.get(reverse("connect_callback", args=[network]), params, follow=True)


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee")
    client.force_login(user)
    return user


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_connect_stores_the_account_with_encrypted_tokens(client, ann, networks, network):
    url = start(client, network)
    query = parse_qs(urlsplit(url).query)
    assert query["state"][0] and query["redirect_uri"][0].endswith(f"/connections/{network}/callback/")
    if network == "x":
        assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    response = callback(client, network, consent(url))
    assert "connected" in response.content.decode()
    account = SocialAccount.objects.get(user=ann, network=network)
    assert account.status == "active" and account.access_token and account.remote_id
    assert account.expires_at is not None
    if network == "x":
        assert account.refresh_token and account.handle and account.audience_size is not None
    else:
        assert account.refresh_token == "" and "w_member_social" in account.scopes
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM advocacy_socialaccount WHERE id = %s", [account.pk])
        assert account.access_token not in cursor.fetchone()[0]


def test_cancel_shows_a_clear_message_and_changes_nothing(client, ann, networks):
    response = callback(client, "linkedin", consent(start(client, "linkedin"), decision="cancel"))
    assert "You cancelled connecting LinkedIn" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_tampered_state_is_refused(client, ann, networks):
    params = consent(start(client, "x"))
    params["state"] = params["state"][:-3] + "xyz"
    response = callback(client, "x", params)
    assert "match your connection attempt" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_state_is_single_use(client, ann, networks):
    params = consent(start(client, "linkedin"))
    callback(client, "linkedin", params)
    assert SocialAccount.objects.count() == 1
    SocialAccount.objects.all().delete()
    response = callback(client, "linkedin", params)
    assert "already used or has expired" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_state_is_bound_to_the_session(client, ann, networks):
    params = consent(start(client, "x"))
    other = client.__class__()
    other.force_login(UserFactory())
    response = other.get(reverse("connect_callback", args=["x"]), params, follow=True)
    assert "already used or has expired" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_expired_code(client, ann, networks):
    params = consent(start(client, "x"))
    networks.clock.advance(31)  # X codes live 30 seconds
    response = callback(client, "x", params)
    assert "refused the sign-in" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_pkce_mismatch_is_refused(client, ann, networks):
    first = start(client, "x")
    params = consent(first)
    start(client, "x")  # a second attempt replaces the verifier in the session
    session = client.session
    attempts = session["chorus.oauth"]
    attempts["x"]["state"] = params["state"]  # same state, different verifier
    session["chorus.oauth"] = attempts
    session.save()
    response = callback(client, "x", params)
    assert "refused the sign-in" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_disconnect_revokes_and_deletes_tokens(client, ann, networks):
    callback(client, "x", consent(start(client, "x")))
    account = SocialAccount.objects.get()
    token = account.access_token
    client.post(reverse("disconnect", args=["x"]))
    account.refresh_from_db()
    assert account.status == "revoked" and account.access_token == "" and account.refresh_token == ""
    me = requests.get(f"{networks.url}/x/2/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me.status_code == 401  # revoked at the provider too


def test_reconnect_updates_the_same_account(client, ann, networks):
    callback(client, "linkedin", consent(start(client, "linkedin")))
    first = SocialAccount.objects.get()
    SocialAccount.objects.filter(pk=first.pk).update(status="reconnect")
    response = callback(client, "linkedin", consent(start(client, "linkedin")))
    assert "reconnected" in response.content.decode()
    again = SocialAccount.objects.get()
    assert again.pk == first.pk and again.status == "active"


def test_connecting_from_the_share_dialog_returns_there(client, ann, networks):
    from tests.factories import published_item

    item = published_item()
    dialog = client.get(reverse("share_dialog", args=[item.pk])).content.decode()
    assert f"/connections/x/connect/?next=/share/{item.pk}/" in dialog
    url = client.get(f"/connections/x/connect/?next=/share/{item.pk}/")["Location"]
    response = client.get(reverse("connect_callback", args=["x"]), consent(url))
    assert response.status_code == 302 and response["Location"] == f"/share/{item.pk}/"


def test_next_must_stay_on_this_site(client, ann, networks):
    url = client.get("/connections/x/connect/?next=https://evil.example/")["Location"]
    response = client.get(reverse("connect_callback", args=["x"]), consent(url))
    assert response["Location"] == reverse("connections")


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_x_without_offline_access_connects_with_a_warning_and_its_real_expiry(client, ann, networks, redis_url):
    # X granted no offline.access (Chorus asks for it; the grant is what counts): no refresh token.
    url = start(client, "x").replace("offline.access", "").replace("+&", "&")
    page = page_text(callback(client, "x", consent(url)))
    account = SocialAccount.objects.get(user=ann)
    assert (account.refresh_token, account.status) == ("", "expiring")
    expires = timezone.localtime(account.expires_at, ZoneInfo("UTC"))
    assert timedelta(hours=1, minutes=59) < account.expires_at - timezone.now() <= timedelta(hours=2)
    assert ("This X connection can't renew itself because posting access wasn't granted to stay signed in. "
            f"It works until {expires:%-d %b %Y, %H:%M} (UTC)") in page
    assert "60 days" not in page
    listing = page_text(client.get(reverse("connections")))
    assert f"This connection can't renew itself: it works until {expires:%-d %b %Y, %H:%M} (UTC)" in listing
    assert "Renewed automatically" not in listing


def test_consent_without_posting_permission_is_shown_as_cannot_post(client, ann, networks, settings, redis_url):
    settings.LINKEDIN_SCOPES = ["openid", "profile", "email"]  # the member may untick posting; here it is not asked
    page = page_text(callback(client, "linkedin", consent(start(client, "linkedin"))))
    message = "Chorus can't post to LinkedIn for you: posting wasn't allowed when you connected. " \
              "Reconnect LinkedIn and allow posting."
    assert message in page and "You can share now" not in page
    account = SocialAccount.objects.get(user=ann)
    assert (account.status, account.last_error, account.is_usable) == ("reconnect", message, False)
    listing = page_text(client.get(reverse("connections")))
    assert "Can't post" in listing and message in listing and "Reconnect and allow posting" in listing

    settings.LINKEDIN_SCOPES = ["openid", "profile", "email", "w_member_social"]
    page = page_text(callback(client, "linkedin", consent(start(client, "linkedin"))))
    assert "LinkedIn reconnected" in page and "You can share now" in page
    account.refresh_from_db()
    assert (account.status, account.last_error) == ("active", "")
