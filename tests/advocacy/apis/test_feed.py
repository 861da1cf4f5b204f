"""GET /api/v1/feed/: the portal's feed (same selector, filters and order) in cursor pages,
with an ETag that changes whenever the answer changes for this person, in bounded queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Share
from content.models import ContentItem, ShareText, Topic
from content.selectors import content_visible_to
from tests.factories import (
    CampaignFactory,
    ContentItemFactory,
    SocialAccountFactory,
    TeamFactory,
    TopicFactory,
    advocate,
    published_item,
)

pytestmark = pytest.mark.django_db

FEED = "/api/v1/feed/"


@pytest.fixture
def me(client):
    user = advocate()
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    return user


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(client, url: str) -> tuple[list[int], list[str]]:
    """Every id, following ``next`` links; and the links followed."""
    seen, links = [], []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        links.append(url)
    return seen, links


# --- what the feed shows ----------------------------------------------------------------


def test_an_item_as_the_feed_shows_it(client, me):
    campaign = CampaignFactory(name="Cloud month")
    item = published_item(title="Cloud costs", campaign=campaign, hashtags="#cloud", pinned=True)
    item.topics.add(TopicFactory(name="Cloud"))
    Share.objects.create(user=me, item=item, network="linkedin", text="t", final_text="t", idempotency_key="k",
                         status="posted")
    [row] = client.get(FEED).json()["results"]
    assert row["title"] == "Cloud costs" and row["url"] == item.url and row["domain"] == "news.example.com"
    assert row["campaign"] == {"id": campaign.pk, "name": "Cloud month", "slug": campaign.slug}
    assert [t["name"] for t in row["topics"]] == ["Cloud"]
    assert row["suggested_text"] == {"linkedin": "Worth a read.", "x": "Read this"}
    assert row["shared_on"] == ["linkedin"] and row["networks"] == ["linkedin", "x"]
    assert row["pinned"] is True and row["text_locked"] is False and row["hashtags"] == "#cloud"


def test_only_what_the_portal_shows_me(client, me):
    mine = published_item()
    published_item(expires_at=timezone.now() - timedelta(minutes=1))
    elsewhere = published_item(target_everyone=False)
    elsewhere.target_teams.add(TeamFactory(name="Elsewhere"))
    ContentItemFactory(status="draft")
    assert ids(client.get(FEED)) == [mine.pk]


@pytest.mark.parametrize("query", [
    {"q": "kubernetes"}, {"q": "  KUBERNETES "}, {"campaign": "CAMPAIGN"}, {"topic": "TOPIC"},
    {"type": "event"}, {"network": "x"}, {"network": "linkedin"}, {"type": "event", "network": "x"},
])
def test_the_portals_filters(client, me, query):
    campaign, topic = CampaignFactory(), TopicFactory()
    published_item(title="Kubernetes at scale", campaign=campaign, content_type="event")
    published_item(summary="Why we chose kubernetes", allow_x=False)
    c = published_item(content_type="event", allow_linkedin=False)
    c.topics.add(topic)
    published_item()
    query = {k: {"CAMPAIGN": campaign.pk, "TOPIC": topic.pk}.get(v, v) for k, v in query.items()}
    portal = content_visible_to(me, topic=query.get("topic"), campaign=query.get("campaign"),
                                content_type=query.get("type"), search=(query.get("q") or "").strip() or None)
    want = [i.pk for i in portal if "network" not in query or query["network"] in i.networks]
    got = ids(client.get(FEED, query))
    assert got == want and got and len(got) < 4


@pytest.mark.parametrize(("query", "field"), [
    ({"type": "memes"}, "type"), ({"campaign": "abc"}, "campaign"), ({"topic": "0"}, "topic"),
    ({"campaign": str(10**25)}, "campaign"),
    ({"network": "myspace"}, "network"), ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "eyJwIjpbMV19"}, "cursor"),  # a well-formed cursor of another order
])
def test_a_bad_filter_is_one_clear_400(client, me, query, field):
    published_item()
    response = client.get(FEED, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == field and error["message"]


# --- order and cursor pages -------------------------------------------------------------


@pytest.fixture
def many(me):
    now = timezone.now()
    items = []
    for n in range(11):
        items.append(published_item(title=f"Item {n}", published_at=now - timedelta(hours=n),
                                    pinned=n in (4, 9), priority=2 if n in (3, 7) else 0))
    # Same time, same flags: the id breaks the tie.
    items += [published_item(title="Twin", published_at=now - timedelta(hours=20)) for _ in range(3)]
    return items


def test_pages_follow_the_portals_order(client, me, many):
    portal = [i.pk for i in content_visible_to(me)]
    assert portal[:4] == [many[4].pk, many[9].pk, many[3].pk, many[7].pk]  # pinned, then priority
    seen, links = walk(client, f"{FEED}?page_size=4")
    assert seen == portal and len(links) == 4 and links[-1] is None


def test_previous_links_walk_back_the_same_pages(client, me, many):
    pages, url = [], f"{FEED}?page_size=4"
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        last, url = body, body["next"]
    back, url = [], last["previous"]
    while url:
        body = client.get(url).json()
        back.insert(0, [row["id"] for row in body["results"]])
        url = body["previous"]
    assert back == pages[:-1]


def test_an_item_published_while_paging_shifts_nothing(client, me, many):
    first = client.get(f"{FEED}?page_size=5").json()
    published_item(title="Brand new", pinned=True)
    rest, _ = walk(client, first["next"])
    portal_then = [i.pk for i in content_visible_to(me) if i.title != "Brand new"]
    assert [row["id"] for row in first["results"]] + rest == portal_then


def test_the_filters_stay_in_the_links(client, me, many):
    seen, links = walk(client, f"{FEED}?page_size=2&q=Twin")
    assert len(seen) == 3 and all("q=Twin" in link for link in links if link)


# --- ETag -------------------------------------------------------------------------------


def etag(client, **query) -> str:
    response = client.get(FEED, query)
    assert response.status_code == 200 and response["ETag"]
    return response["ETag"]


def test_304_while_nothing_changed(client, me):
    published_item()
    first = client.get(FEED)
    again = client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    assert "private" in again["Cache-Control"] and "Authorization" in again["Vary"]
    assert client.get(FEED, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def _share(user, item, status="queued"):
    return Share.objects.create(user=user, item=item, network="linkedin", text="t", final_text="t",
                                idempotency_key=f"{user.pk}-{item.pk}-{status}", status=status)


CHANGES = {
    "a new item": lambda me, item: published_item(),
    "a changed item": lambda me, item: ContentItem.objects.filter(pk=item.pk).update(title="Better title"),
    "a withdrawn item": lambda me, item: ContentItem.objects.filter(pk=item.pk).update(status="archived"),
    "an expired item": lambda me, item: ContentItem.objects.filter(pk=item.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)),
    "a re-prioritised item": lambda me, item: ContentItem.objects.filter(pk=item.pk).update(pinned=True),
    "my new share": lambda me, item: _share(me, item),
    "my share failing": lambda me, item: Share.objects.filter(user=me, item=item).update(status="failed"),
    "my suggested text": lambda me, item: ShareText.objects.filter(item=item, network="linkedin").update(
        text="New words"),
    "a renamed topic": lambda me, item: Topic.objects.filter(items=item).update(name="Renamed"),
    "a renamed campaign": lambda me, item: item.campaign.__class__.objects.filter(pk=item.campaign_id).update(
        name="Renamed"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_the_etag_changes_with_the_answer(client, me, change):
    item = published_item(campaign=CampaignFactory())
    item.topics.add(TopicFactory())
    published_item(published_at=timezone.now() - timedelta(days=1))
    if change == "my share failing":
        _share(me, item)  # shared: the ✓ goes when it fails
    before = etag(client)
    CHANGES[change](me, item)
    after = client.get(FEED, HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200 and after["ETag"] != before


def test_the_etag_ignores_other_peoples_shares_and_other_pages(client, me):
    item = published_item()
    old = published_item(published_at=timezone.now() - timedelta(days=1))
    before = etag(client, page_size=1)
    _share(advocate(), item)
    ContentItem.objects.filter(pk=old.pk).update(title="Changed, on page two")
    assert client.get(FEED, {"page_size": 1}, HTTP_IF_NONE_MATCH=before).status_code == 304


def test_a_colleague_with_another_answer_gets_another_etag(client, me):
    _share(me, published_item())
    mine = etag(client)
    client.force_login(advocate())
    assert client.get(FEED, HTTP_IF_NONE_MATCH=mine).status_code == 200


# --- cost -------------------------------------------------------------------------------


def _items(n: int) -> None:
    topics = [TopicFactory() for _ in range(3)]
    campaigns = [CampaignFactory() for _ in range(3)]
    for k in range(n):
        item = published_item(campaign=campaigns[k % 3], texts=[("linkedin", "A"), ("linkedin", "B"), ("x", "C")])
        item.topics.add(*topics[: k % 3 + 1])


@pytest.mark.parametrize("count", [3, 40])
def test_bounded_queries_whatever_the_page_holds(client, me, count, django_assert_max_num_queries):
    _items(count)
    for item in ContentItem.objects.all()[:5]:
        _share(me, item)
    # session + user, items, topics, share texts, my shares
    with django_assert_max_num_queries(6):
        response = client.get(FEED, {"page_size": 50})
    assert len(response.json()["results"]) == count
