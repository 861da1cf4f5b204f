"""The feed's cache (advocacy.feed_cache): the items, their API fields and their portal cards are
built once per process and feed version, and any change to what the feed shows — by any write
path, ``QuerySet.update`` included, which sends no signal — shows at once on the portal and the
API; what is per person (shares, followed topics, targeting) is never cached. Query counts are
constant whatever the page holds, and a 304 is the page query alone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from advocacy import feed_cache
from advocacy.models import FeedVersion, Share, TopicFollow
from content.models import Campaign, ContentItem, ShareText, Topic
from content.selectors import content_visible_to
from tests.factories import (
    CampaignFactory,
    SocialAccountFactory,
    TeamFactory,
    TopicFactory,
    advocate,
    published_item,
)

pytestmark = pytest.mark.django_db

FEED = "/api/v1/feed/"


def token() -> int | None:
    return FeedVersion.objects.filter(pk=1).values_list("token", flat=True).first()


@pytest.fixture
def me(client):
    user = advocate()
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    return user


@pytest.fixture
def item():
    item = published_item(title="Cloud costs", campaign=CampaignFactory(name="Cloud month"),
                          texts=[("linkedin", "Worth a read."), ("x", "Read this")])
    item.topics.add(TopicFactory(name="Cloud"))
    return item


def portal(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def api(client, **query) -> dict:
    response = client.get(FEED, query)
    assert response.status_code == 200, response.content
    return response.json()


# --- the version token: the database changes it, whatever writes ----------------------------


def _share_text(item):
    return ShareText.objects.filter(item=item).first()


WRITES = {
    "an item inserted": lambda item: published_item(),
    "an item updated (QuerySet.update)": lambda item: ContentItem.objects.filter(pk=item.pk).update(title="T"),
    "an item deleted": lambda item: ContentItem.objects.filter(pk=item.pk).delete(),
    "a topic added to the item": lambda item: item.topics.add(TopicFactory()),
    "a topic taken off the item": lambda item: item.topics.clear(),
    "a target team added": lambda item: item.target_teams.add(TeamFactory()),
    "a suggested text added": lambda item: ShareText.objects.create(item=item, network="x", text="New"),
    "a suggested text changed": lambda item: ShareText.objects.filter(item=item).update(text="Changed"),
    "a suggested text deleted": lambda item: _share_text(item).delete(),
    "a topic renamed": lambda item: Topic.objects.update(name="Renamed"),
    "a topic made required": lambda item: Topic.objects.update(required=True),
    "a campaign renamed": lambda item: Campaign.objects.update(name="Renamed"),
    "a campaign ended": lambda item: Campaign.objects.update(status="ended"),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_to_what_the_feed_shows_changes_the_token(item, write):
    before = token()
    assert before is not None
    WRITES[write](item)
    assert token() not in (None, before)


def test_other_writes_leave_the_token_alone(me, item):
    before = token()
    Share.objects.create(user=me, item=item, network="linkedin", text="t", final_text="t", idempotency_key="k")
    TopicFollow.objects.create(user=me, topic=Topic.objects.get())
    me.location = "Berlin"
    me.save()
    assert token() == before


# --- changes show at once, on the portal and in the API --------------------------------------


CHANGES = {
    "a new item": (lambda me, item: published_item(title="Brand new"), "Brand new", True),
    "an edited title": (lambda me, item: ContentItem.objects.filter(pk=item.pk).update(title="Better"), "Better",
                        True),
    "a withdrawn item": (lambda me, item: ContentItem.objects.filter(pk=item.pk).update(status="archived"),
                         "Cloud costs", False),
    "an expired item": (lambda me, item: ContentItem.objects.filter(pk=item.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)), "Cloud costs", False),
    "a renamed topic": (lambda me, item: Topic.objects.filter(items=item).update(name="Serverless"), "Serverless",
                        True),
    "a renamed campaign": (lambda me, item: Campaign.objects.update(name="Autumn push"), "Autumn push", True),
    "a team's item, my team": (lambda me, item: _team_item(me), "For my team", True),
}


def _team_item(me):
    team = TeamFactory()
    targeted = published_item(title="For my team", target_everyone=False)
    targeted.target_teams.add(team)
    me.team = team
    me.save()


def _in_api(body: dict, text: str) -> bool:
    return any(text in (row["title"], row["campaign"] and row["campaign"]["name"])
               or text in [t["name"] for t in row["topics"]] for row in body["results"])


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_shows_at_once_in_a_warm_cache(client, me, item, change):
    write, text, shown = CHANGES[change]
    portal(client), api(client)  # warm
    assert text not in portal(client) or not shown
    write(me, item)
    assert (text in portal(client)) is shown
    assert _in_api(api(client), text) is shown


def test_a_new_suggested_text_shows_at_once(client, me, item):
    api(client)
    ShareText.objects.filter(item=item, network="x").update(text="Fresh words")
    [row] = api(client)["results"]
    assert row["suggested_text"]["x"] == "Fresh words"


def test_expiry_by_the_clock_needs_no_write(client, me, item):
    soon = timezone.now() + timedelta(minutes=5)
    ContentItem.objects.filter(pk=item.pk).update(expires_at=soon)
    with freeze_time(soon - timedelta(minutes=1)):
        assert "Cloud costs" in portal(client) and api(client)["results"]
    with freeze_time(soon + timedelta(seconds=1)):
        assert "Cloud costs" not in portal(client) and api(client)["results"] == []


def test_my_share_shows_at_once_and_only_to_me(client, me, item):
    colleague = advocate()
    portal(client), api(client)
    Share.objects.create(user=me, item=item, network="linkedin", text="t", final_text="t", idempotency_key="k")
    assert "LinkedIn ✓" in portal(client)
    assert api(client)["results"][0]["shared_on"] == ["linkedin"]
    Share.objects.filter(user=me).update(status="failed")  # no signal: the ✓ goes anyway
    assert "LinkedIn ✓" not in portal(client)
    Share.objects.filter(user=me).update(status="posted")
    client.force_login(colleague)  # the same cached card, without my ✓
    assert "Cloud costs" in portal(client) and "LinkedIn ✓" not in portal(client)
    assert api(client)["results"][0]["shared_on"] == []


def test_following_a_topic_reorders_at_once(client, me, item):
    newer = published_item(title="Newer, other topic")
    assert [r["id"] for r in api(client)["results"]] == [newer.pk, item.pk]
    TopicFollow.objects.create(user=me, topic=item.topics.get())
    assert [r["id"] for r in api(client)["results"]] == [item.pk, newer.pk]
    page = portal(client)
    assert page.index("Cloud costs") < page.index("Newer, other topic")


def test_the_suggested_text_is_each_persons_variant(client, me):
    texts = [("linkedin", f"Variant {n}") for n in range(5)]
    item = published_item(texts=texts)
    offered = set()
    for person in [me, *(advocate() for _ in range(6))]:
        client.force_login(person)
        [row] = api(client)["results"]
        expected = [t for _, t in texts][(person.pk * 7919 + item.pk) % 5]
        assert row["suggested_text"]["linkedin"] == expected
        offered.add(expected)
    assert len(offered) > 1


def test_without_the_version_row_nothing_is_cached_and_all_works(client, me, item):
    FeedVersion.objects.all().delete()
    assert "Cloud costs" in portal(client) and api(client)["results"]
    ContentItem.objects.filter(pk=item.pk).update(title="Still current")
    assert "Still current" in portal(client)
    assert api(client)["results"][0]["title"] == "Still current"


# --- ETag ------------------------------------------------------------------------------------


def test_the_etag_is_of_the_answer_not_of_the_cache(client, me, item):
    first = client.get(FEED)["ETag"]
    feed_cache.clear()
    published_item(published_at=timezone.now() - timedelta(days=3), title="Elsewhere")  # a new token
    response = client.get(FEED, {"page_size": 1}, HTTP_IF_NONE_MATCH=client.get(FEED, {"page_size": 1})["ETag"])
    assert response.status_code == 304
    assert client.get(FEED, HTTP_IF_NONE_MATCH=first).status_code == 200  # the new item is on this page


def test_a_304_is_the_page_query_alone(client, me, item, django_assert_num_queries):
    tag = client.get(FEED)["ETag"]
    feed_cache.clear()  # even cold: the items' digests are made from one batch load
    with django_assert_num_queries(6):  # session, user, the page; the items (campaign joined), topics, texts
        assert client.get(FEED, HTTP_IF_NONE_MATCH=tag).status_code == 304
    with django_assert_num_queries(3):  # session, user, the page
        assert client.get(FEED, HTTP_IF_NONE_MATCH=tag).status_code == 304


# --- cost ------------------------------------------------------------------------------------


def _catalogue(n: int, me) -> None:
    topics = [TopicFactory() for _ in range(3)]
    campaigns = [CampaignFactory() for _ in range(3)]
    for k in range(n):
        item = published_item(campaign=campaigns[k % 3], texts=[("linkedin", "A"), ("linkedin", "B"), ("x", "C")])
        item.topics.add(*topics[: k % 3 + 1])
        if k % 2:
            Share.objects.create(user=me, item=item, network="linkedin", text="t", final_text="t",
                                 idempotency_key=f"k{k}")
    TopicFollow.objects.create(user=me, topic=topics[1])


@pytest.mark.parametrize("count", [3, 30])
def test_the_portal_page_in_constant_queries(client, me, count, django_assert_num_queries):
    _catalogue(count, me)
    portal(client)
    # session, user, the page (my shares, the version, my connections, the policy in force
    # and the notifications' badge count in one query)
    with django_assert_num_queries(3):
        page = portal(client)
    assert page.count('class="card feed-item') == min(count, 12)
    assert page.count("LinkedIn ✓") == min(count, 12) // 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_api_feed_in_constant_queries(client, me, count, django_assert_num_queries):
    _catalogue(count, me)
    api(client, page_size=50)
    with django_assert_num_queries(3):  # session, user, the page
        body = api(client, page_size=50)
    assert len(body["results"]) == count
    assert sum(row["shared_on"] == ["linkedin"] for row in body["results"]) == count // 2


def test_a_cold_cache_costs_five_queries_more(client, me, django_assert_num_queries):
    _catalogue(30, me)
    feed_cache.clear()
    # the warm page's 3 + the items (campaign joined), their topics, their texts; the
    # filters' topics and campaigns
    with django_assert_num_queries(8):
        portal(client)


# --- the portal's pages without COUNT(*) --------------------------------------------------


@pytest.fixture
def thirty(me):
    now = timezone.now()
    return [published_item(title=f"Item {n:02d}", published_at=now - timedelta(hours=n)) for n in range(30)]


@pytest.mark.parametrize(("asked", "number", "first"), [
    (None, 1, 0), ("2", 2, 12), ("3", 3, 24), ("4", 3, 24), ("0", 3, 24), ("-1", 3, 24), ("abc", 1, 0),
    ("99999999999999999999999", 3, 24),
])
def test_page_numbers_as_the_paginator_had_them(client, thirty, asked, number, first):
    page = client.get(reverse("home"), {"page": asked} if asked else {})
    assert page.status_code == 200
    assert page.context["page"].number == number
    assert page.context["page"].paginator.num_pages == 3
    titles = [card.title for card in page.context["page"].object_list]
    assert titles == [f"Item {n:02d}" for n in range(first, min(first + 12, 30))]
    assert f"Page {number} of 3" in page.content.decode()


def test_a_search_counts_its_pages_too(client, thirty):
    for item in thirty[:14]:  # two texts matching: DISTINCT keeps one row per item
        ShareText.objects.create(item=item, network="linkedin", text="kubernetes one")
        ShareText.objects.create(item=item, network="x", text="kubernetes two")
    page = client.get(reverse("home"), {"q": "kubernetes", "page": "2"})
    assert page.context["page"].paginator.num_pages == 2
    assert [card.title for card in page.context["page"].object_list] == ["Item 12", "Item 13"]


def test_no_connection_notice_without_rows_too(client, me):
    client.force_login(advocate())
    assert "Connect <a" in portal(client)
    client.force_login(me)
    assert "Connect <a" not in portal(client)
    published_item()
    assert "Connect <a" not in portal(client)


# --- past the cached depth: the database, the same pages -----------------------------------


@pytest.fixture
def shallow(monkeypatch, me):
    """A process that keeps only the first 5 rows of each order; 23 items, one pinned."""
    monkeypatch.setattr("advocacy.selectors.ORDER_DEPTH", 5)
    now = timezone.now()
    return [published_item(title=f"Item {n:02d} kubernetes", published_at=now - timedelta(hours=n), pinned=n == 7,
                           expires_at=now + timedelta(days=n + 1) if n % 5 == 0 else None) for n in range(23)]


def _walk(client, url: str, key: str) -> tuple[list[int], list[list[int]], dict]:
    pages, last = [], None
    while url:
        last = client.get(url).json()
        pages.append([row["id"] for row in last["results"]])
        url = last[key]
    return [pk for page in pages for pk in page], pages, last


@pytest.mark.parametrize("query", ["", "&q=kubernetes"])
def test_api_pages_past_the_depth_walk_both_ways(client, me, shallow, query):
    expected = [i.pk for i in content_visible_to(me)]
    assert expected[0] == shallow[7].pk
    seen, pages, last = _walk(client, f"{FEED}?page_size=4{query}", "next")
    assert seen == expected and len(pages) == 6
    _, back, _ = _walk(client, last["previous"], "previous")
    assert back[::-1] == pages[:-1]


@pytest.mark.parametrize("query", [{}, {"q": "kubernetes"}])
def test_portal_pages_past_the_depth(client, me, shallow, query):
    expected = [i.display_title for i in content_visible_to(me)]
    for number, first in ((1, 0), (2, 12), (3, 12)):
        page = client.get(reverse("home"), {**query, "page": number})
        assert page.context["page"].paginator.num_pages == 2
        assert [card.title for card in page.context["page"].object_list] == expected[first: first + 12]


def test_the_cached_order_ends_when_its_first_item_expires(client, me):
    soon = timezone.now() + timedelta(minutes=5)
    published_item(title="Goes soon", expires_at=soon)
    published_item(title="Stays")
    with freeze_time(soon - timedelta(seconds=1)):
        assert "Goes soon" in portal(client)
        assert [r["title"] for r in api(client)["results"]] == ["Stays", "Goes soon"]
    with freeze_time(soon + timedelta(seconds=1)):
        assert "Goes soon" not in portal(client) and "Stays" in portal(client)
        assert [r["title"] for r in api(client)["results"]] == ["Stays"]


# --- the card: one rendering for everyone, each person's parts filled in ------------------


def test_each_person_sees_until_in_their_time_zone(client, me):
    published_item(title="Ends", expires_at=timezone.now().replace(hour=12, minute=0) + timedelta(days=30))
    me.timezone = "Pacific/Kiritimati"  # UTC+14: past midnight already
    me.save()
    far_east = portal(client)
    client.force_login(advocate(timezone="UTC"))
    here = portal(client)
    ends = ContentItem.objects.get().expires_at
    assert f"until {ends:%-d %b}" in here and f"until {ends + timedelta(days=1):%-d %b}" in far_east


def test_the_card_escapes_what_it_shows(client, me):
    published_item(title="<b>Bold</b> & co", summary='"quoted" <i>', url="https://news.example.com/a")
    page = portal(client)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page and "<b>Bold" not in page
    assert "&quot;quoted&quot; &lt;i&gt;" in page and "\x00" not in page
    assert "news.example.com · " in page and " ago" in page


def test_the_cards_age_is_current_to_the_minute(client, me):
    """How long ago an item came out is worked out once per minute (advocacy.views.feed._since),
    and moves with the clock: never stuck on a cached card."""
    published = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    published_item(title="Aging", published_at=published)
    with freeze_time(published + timedelta(hours=2, seconds=30)):
        assert "2\xa0hours ago" in portal(client)
    with freeze_time(published + timedelta(hours=2, minutes=5, seconds=59)):
        assert "2\xa0hours, 5\xa0minutes ago" in portal(client)
    with freeze_time(published + timedelta(days=3, hours=1)):
        assert "3\xa0days, 1\xa0hour ago" in portal(client)


def test_the_badge_count_rides_with_the_feeds_query(client, me, django_assert_num_queries):
    """The nav badge's unread count is read in the portal feed's own query (no COUNT of its
    own, advocacy.selectors.PERSON_EXTRAS); other pages still count it themselves."""
    from notifications.models import Notification

    published_item(title="Something to share")
    for i in range(3):
        Notification.objects.create(user=me, kind="new_content", title=f"New {i}")
    Notification.objects.create(user=advocate(), kind="new_content", title="Someone else's")
    portal(client)
    with django_assert_num_queries(3) as queries:
        page = portal(client)
    assert "Notifications, 3 unread" in page
    assert not any(q["sql"].startswith('SELECT COUNT(*) FROM "notifications_notification"')
                   for q in queries.captured_queries)
    Notification.objects.filter(user=me).first().delete()
    assert "Notifications, 2 unread" in portal(client)
    other = client.get(reverse("preferences")).content.decode()
    assert "Notifications, 2 unread" in other
