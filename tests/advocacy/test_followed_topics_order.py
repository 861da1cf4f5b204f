"""Followed topics first: in the portal feed, the API feed and the digest.

The order (advocacy.selectors.FEED_ORDER): pinned, then items of a followed topic (a
required topic counts as followed), then priority, then newest. The digest keeps its
campaign priority and pinned at the top, then followed topics (rank_key)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from advocacy.selectors import feed_for_user
from advocacy.services.onboarding import topics_follow_set
from notifications.services.digests import DigestBuilder
from tests.factories import TopicFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


def ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def catalogue():
    cloud, security = TopicFactory(name="Cloud"), TopicFactory(name="Security")
    news = TopicFactory(name="Company news", required=True)
    items = {
        "pinned, no topic": published_item(title="pinned, no topic", pinned=True, published_at=ago(30)),
        "newest, security": published_item(title="newest, security", published_at=ago(0)),
        "priority 5": published_item(title="priority 5", priority=5, published_at=ago(1)),
        "cloud, old": published_item(title="cloud, old", published_at=ago(20)),
        "cloud, newer": published_item(title="cloud, newer", published_at=ago(10)),
        "required news": published_item(title="required news", published_at=ago(15)),
    }
    items["newest, security"].topics.add(security)
    items["cloud, old"].topics.add(cloud)
    items["cloud, newer"].topics.add(cloud)
    items["required news"].topics.add(news)
    return {"cloud": cloud, "security": security}


EXPECTED = ["pinned, no topic", "cloud, newer", "required news", "cloud, old", "priority 5", "newest, security"]


def test_feed_followed_topics_after_pinned(catalogue, django_assert_max_num_queries):
    ann = UserFactory()
    topics_follow_set(user=ann, topic_ids=[catalogue["cloud"].pk])
    with django_assert_max_num_queries(1):
        titles = [i.title for i in feed_for_user(ann).prefetch_related(None)]
    assert titles == EXPECTED
    # Someone following nothing: pinned, then the required topic, then priority and date.
    assert [i.title for i in feed_for_user(UserFactory())] == [
        "pinned, no topic", "required news", "priority 5", "newest, security", "cloud, newer", "cloud, old",
    ]


def test_the_portal_feed_and_the_api_feed_have_that_order(client, catalogue):
    ann = UserFactory()
    topics_follow_set(user=ann, topic_ids=[catalogue["cloud"].pk])
    client.force_login(ann)
    page = client.get(reverse("home"))
    assert [i.title for i in page.context["page"].object_list] == EXPECTED
    api = client.get("/api/v1/feed/").json()
    assert [i["title"] for i in api["results"]] == EXPECTED


def test_the_api_feed_cursor_pages_through_the_followed_order(client, catalogue):
    ann = UserFactory()
    topics_follow_set(user=ann, topic_ids=[catalogue["cloud"].pk])
    client.force_login(ann)
    seen, url = [], "/api/v1/feed/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [i["title"] for i in body["results"]]
        url = body["next"]
    assert seen == EXPECTED


def test_the_digest_ranks_followed_topics_after_pinned(catalogue, settings):
    settings.DIGEST_ITEMS = 10
    ann = UserFactory()
    topics_follow_set(user=ann, topic_ids=[catalogue["security"].pk])
    ann = User.objects.get(pk=ann.pk)
    digest = DigestBuilder(kind="weekly_digest", users=[ann], as_of=timezone.now()).build(ann)
    titles = [entry.item.title for entry in digest.items]
    assert titles[0] == "pinned, no topic"
    assert set(titles[1:3]) == {"newest, security", "required news"}
    assert titles.index("newest, security") < titles.index("priority 5")
