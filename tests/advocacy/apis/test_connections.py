"""My connections in the API: listed without tokens, the audience set and the account
disconnected through the portal's services (the sandbox network revokes the token)."""

import pytest
import requests

from advocacy.models import SocialAccount
from tests.factories import SocialAccountFactory, advocate
from tests.support import connect_account

pytestmark = pytest.mark.django_db

CONNECTIONS = "/api/v1/connections/"


@pytest.fixture
def me(client):
    user = advocate()
    client.force_login(user)
    return user


def test_listed_never_with_tokens(client, me):
    linkedin = SocialAccountFactory(user=me, network="linkedin", handle="ann-lee", audience_size=1200,
                                    refresh_token="refresh-secret")
    SocialAccountFactory(user=me, network="x", status="revoked", access_token="")
    SocialAccountFactory(user=advocate(), network="x")
    response = client.get(CONNECTIONS)
    body = response.json()
    assert [c["network"] for c in body] == ["linkedin", "x"]
    assert body[0]["handle"] == "ann-lee" and body[0]["audience_size"] == 1200 and body[0]["renews_itself"] is True
    assert body[0]["name"] == "LinkedIn" and body[0]["can_post"] is True and body[0]["problem"] == ""
    assert body[1]["status"] == "revoked" and body[1]["can_post"] is False
    text = response.content.decode()
    assert linkedin.access_token not in text and "refresh-secret" not in text and "token" not in text.replace(
        "renews_itself", "")


def test_one_connection(client, me):
    SocialAccountFactory(user=me, network="x", handle="ann")
    assert client.get(f"{CONNECTIONS}x/").json()["handle"] == "ann"
    assert client.get(f"{CONNECTIONS}linkedin/").status_code == 404
    assert client.get(f"{CONNECTIONS}myspace/").status_code == 404


@pytest.mark.parametrize("value", [0, 1200, 50_000_000, None])
def test_set_the_audience(client, me, value):
    account = SocialAccountFactory(user=me, network="linkedin", audience_size=7)
    response = client.patch(f"{CONNECTIONS}linkedin/", {"audience_size": value}, content_type="application/json")
    assert response.status_code == 200 and response.json()["audience_size"] == value
    account.refresh_from_db()
    assert account.audience_size == value


@pytest.mark.parametrize(("body", "message"), [
    ({"audience_size": -1}, "Enter a number of connections between 0 and 50,000,000."),
    ({"audience_size": 50_000_001}, "Enter a number of connections between 0 and 50,000,000."),
    ({"audience_size": "lots"}, "A valid integer is required."),
    ({}, "This field is required."),
])
def test_a_bad_audience_changes_nothing(client, me, body, message):
    account = SocialAccountFactory(user=me, network="linkedin", audience_size=7)
    response = client.patch(f"{CONNECTIONS}linkedin/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid", "message": message, "field": "audience_size"}
    account.refresh_from_db()
    assert account.audience_size == 7


def test_disconnect_revokes_at_the_network_and_deletes_the_tokens(client, me, networks):
    account = connect_account(me, "x", networks, name="Ann Lee")
    token = account.access_token
    response = client.delete(f"{CONNECTIONS}x/")
    assert response.status_code == 204 and response.content == b""
    account.refresh_from_db()
    assert account.status == "revoked" and account.access_token == "" and account.refresh_token == ""
    me_at_x = requests.get(f"{networks.url}/x/2/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me_at_x.status_code == 401
    assert client.get(CONNECTIONS).json()[0]["status"] == "revoked"


def test_disconnecting_what_was_never_connected_is_404(client, me):
    assert client.delete(f"{CONNECTIONS}linkedin/").status_code == 404
    assert not SocialAccount.objects.exists()
