"""Pages and messages name the networks the way their adapters do (networks.display_name)."""

import pytest
from django.urls import reverse

from advocacy.models import Share
from advocacy.services.connections import ConnectError, connect_finish
from tests.factories import SocialAccountFactory, UserFactory, published_item

from .test_connect_flow import callback, consent, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee")
    client.force_login(user)
    return user


@pytest.mark.parametrize(("network", "name"), [("linkedin", "LinkedIn"), ("x", "X")])
def test_connect_messages_name_the_network(client, ann, networks, network, name):
    url = start(client, network)
    page = callback(client, network, consent(url)).content.decode()
    assert f"{name} connected" in page
    page = client.post(reverse("disconnect", args=[network]), follow=True).content.decode()
    assert f"{name} disconnected. Chorus no longer holds any token for it." in page


def test_a_refused_callback_names_the_network(client, ann, networks):
    url = start(client, "x")
    page = callback(client, "x", {**consent(url), "state": "forged"}).content.decode()
    assert "The answer from X didn&#x27;t match your connection attempt" in page


def test_connect_finish_refuses_an_unknown_network(ann):
    with pytest.raises(ConnectError, match="Unknown network"):
        connect_finish(user=ann, session={}, network="myspace", params={})


def test_connections_page_lists_both_networks_by_name(client, ann):
    rows = client.get(reverse("connections")).context["rows"]
    assert [(r["key"], r["name"]) for r in rows] == [("linkedin", "LinkedIn"), ("x", "X")]


def test_feed_marks_shared_networks_by_name(client, ann):
    SocialAccountFactory(user=ann, network="x")
    item = published_item()
    Share.objects.create(user=ann, item=item, network="x", text="t", final_text="t", status="posted")
    page = client.get(reverse("home")).content.decode()
    assert 'title="You shared this">X ✓</span>' in page and "LinkedIn ✓" not in page


def test_share_dialog_names_each_network(client, ann):
    networks = client.get(reverse("share_dialog", args=[published_item().pk])).context["networks"]
    assert [(n["key"], n["name"]) for n in networks] == [("linkedin", "LinkedIn"), ("x", "X")]


def attempt_session(network="x", *, age=0.0):
    import time

    from advocacy.services.connections import SESSION_KEY

    return {SESSION_KEY: {network: {"state": "s1", "verifier": "v", "at": time.time() - age}}}


@pytest.mark.parametrize(
    ("params", "age", "message"),
    [
        ({"state": "s1", "error": "access_denied"}, 0, "You cancelled connecting X. Nothing was changed."),
        ({"state": "s1", "error": "server_error", "error_description": "boom"}, 0,
         "X did not allow the connection (server_error: boom)."),
        ({"state": "s1", "code": "c"}, 11 * 60, "This X sign-in took too long and expired. Please connect again."),
        ({"state": "s1"}, 0, "X sent no authorization code. Please connect again."),
    ],
)
def test_callback_problems_are_explained_and_the_attempt_is_spent(ann, params, age, message):
    session = attempt_session(age=age)
    with pytest.raises(ConnectError) as caught:
        connect_finish(user=ann, session=session, network="x", params=params)
    assert str(caught.value) == message
    with pytest.raises(ConnectError, match="already used or has expired"):
        connect_finish(user=ann, session=session, network="x", params=params)


def test_an_account_held_by_someone_else_is_refused(client, ann, networks):
    url = start(client, "x")
    callback(client, "x", consent(url))
    other = UserFactory()
    client.force_login(other)
    url = start(client, "x")
    page = callback(client, "x", consent(url)).content.decode()
    assert "This X account is already connected to another Chorus user." in page
