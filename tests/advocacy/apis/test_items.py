"""GET /api/v1/items/<id>/: what the share dialog shows for one item, per network."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Share
from content.models import ComplianceSettings, ShareText
from content.text_rules import measure
from tests.factories import CampaignFactory, SocialAccountFactory, TopicFactory, advocate, published_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(client):
    user = advocate()
    client.force_login(user)
    return user


def detail(client, item):
    response = client.get(f"/api/v1/items/{item.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_share_dialog_in_json(client, me):
    SocialAccountFactory(user=me, network="linkedin", handle="ann-lee", audience_size=500)
    ComplianceSettings.objects.update_or_create(pk=1, defaults={"default_disclosure": "#employee"})
    item = published_item(title="Launch day", campaign=CampaignFactory(name="Launch"), preview_title="Preview title",
                          preview_site_name="Example", preview_status="ok",
                          texts=[("linkedin", "One"), ("linkedin", "Two"), ("x", "On X")])
    item.topics.add(TopicFactory(name="Cloud"))
    body = detail(client, item)
    # The curator's title wins over the fetched one.
    assert body["title"] == "Launch day" and body["campaign"]["name"] == "Launch"
    assert body["preview"]["site_name"] == "Example" and body["preview"]["status"] == "ok"
    assert body["disclosure"] == "#employee" and body["link_example"] == "http://testserver/r/XXXXXXXXXX"
    linkedin, x = body["share_targets"]
    assert linkedin["network"] == "linkedin" and linkedin["name"] == "LinkedIn"
    assert linkedin["connected"] is True and linkedin["account_handle"] == "ann-lee" and linkedin["problem"] == ""
    assert linkedin["suggested_text"] == body["suggested_text"]["linkedin"] in ("One", "Two")
    assert linkedin["variants"] == ["One", "Two"]
    assert linkedin["limit"] == 3000 and linkedin["link_length"] == len(body["link_example"])
    assert linkedin["composed_example"] == f"{linkedin['suggested_text']} #employee\n{body['link_example']}"
    size = measure("linkedin", linkedin["suggested_text"], link_url=body["link_example"], disclosure="#employee")
    assert (linkedin["length"], linkedin["remaining"]) == (size.length, size.remaining)
    assert x["connected"] is False and x["account_handle"] is None and x["limit"] == 280 and x["link_length"] == 23
    assert linkedin["recent_share"] is None


def test_a_recent_share_is_said(client, me):
    SocialAccountFactory(user=me, network="linkedin")
    item = published_item()
    share = Share.objects.create(user=me, item=item, network="linkedin", text="t", final_text="t",
                                 idempotency_key="k", status="posted", posted_at=timezone.now() - timedelta(hours=2),
                                 remote_url="https://www.linkedin.com/feed/update/urn:li:share:1")
    linkedin = detail(client, item)["share_targets"][0]
    assert linkedin["recent_share"] == {"id": share.pk, "status": "posted",
                                        "message": "You shared this on LinkedIn 2 hours ago",
                                        "remote_url": "https://www.linkedin.com/feed/update/urn:li:share:1"}
    assert detail(client, item)["shared_on"] == ["linkedin"]


def test_a_connection_that_cannot_post_says_why(client, me):
    SocialAccountFactory(user=me, network="x", status="reconnect", last_error="X says: log in again.",
                         scopes="tweet.read tweet.write users.read")
    x = detail(client, published_item())["share_targets"][1]
    assert x["connected"] is False and x["account_status"] == "reconnect" and x["problem"] == "X says: log in again."


def test_only_the_networks_the_item_allows_and_the_locked_text(client, me):
    item = published_item(allow_x=False, text_locked=True, url="")
    body = detail(client, item)
    assert [t["network"] for t in body["share_targets"]] == ["linkedin"] and body["text_locked"] is True
    assert body["link_example"] == "" and body["share_targets"][0]["link_length"] == 0


def test_etag_and_304(client, me):
    item = published_item()
    first = client.get(f"/api/v1/items/{item.pk}/")
    assert client.get(f"/api/v1/items/{item.pk}/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    ShareText.objects.filter(item=item, network="x").update(text="Changed")
    assert client.get(f"/api/v1/items/{item.pk}/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_bounded_queries(client, me, django_assert_max_num_queries):
    SocialAccountFactory(user=me, network="linkedin")
    item = published_item(texts=[("linkedin", f"Variant {n}") for n in range(8)])
    item.topics.add(*[TopicFactory() for _ in range(5)])
    ComplianceSettings.load()  # made once, on first use
    # session + user, item, topics, texts, my shared networks, my accounts, recent shares, compliance
    with django_assert_max_num_queries(9):
        detail(client, item)
