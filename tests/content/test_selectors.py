from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.models import ContentItem, ShareText
from content.selectors import content_visible_to, share_text_variant
from tests.factories import (
    CampaignFactory,
    ContentItemFactory,
    TeamFactory,
    TopicFactory,
    UserFactory,
    published_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    return TeamFactory(name="Sales")


@pytest.fixture
def ann(sales):
    return UserFactory(team=sales, location="London", language="en")


def visible(user) -> set[str]:
    return set(content_visible_to(user).values_list("title", flat=True))


def test_only_published_and_unexpired(ann):
    now = timezone.now()
    published_item(title="live")
    published_item(title="live-until-tomorrow", expires_at=now + timedelta(days=1))
    published_item(title="past-expiry-not-yet-swept", expires_at=now - timedelta(seconds=1))
    for status in ["draft", "in_review", "approved", "scheduled", "archived", "expired"]:
        ContentItemFactory(title=status, status=status)
    assert visible(ann) == {"live", "live-until-tomorrow"}


def test_targeting(ann, sales):
    engineering = TeamFactory(name="Engineering")

    def item(title, teams=(), locations=(), languages=(), everyone=False, topics=()):
        obj = published_item(title=title, target_everyone=everyone)
        obj.target_location_list = list(locations)
        obj.target_language_list = list(languages)
        obj.save()
        obj.target_teams.set(teams)
        obj.topics.set(topics)
        return obj

    item("everyone", everyone=True)
    item("sales", teams=[sales])
    item("engineering", teams=[engineering])
    item("sales-or-eng", teams=[sales, engineering])
    item("london", locations=["London"])
    item("berlin", locations=["Berlin"])
    item("german", languages=["de"])
    item("english", languages=["en"])
    item("sales-in-london", teams=[sales], locations=["london"])
    item("sales-in-berlin", teams=[sales], locations=["Berlin"])
    item("required-topic", teams=[engineering], topics=[TopicFactory(name="Company news", required=True)])
    item("optional-topic", teams=[engineering], topics=[TopicFactory(name="Cloud")])
    assert visible(ann) == {
        "everyone", "sales", "sales-or-eng", "london", "english", "sales-in-london", "required-topic"
    }
    nobody = UserFactory(team=None, location="", language="fr")
    assert visible(nobody) == {"everyone", "required-topic"}


def test_filters_and_search(ann):
    cloud = TopicFactory(name="Cloud")
    summit = CampaignFactory(name="Summit")
    a = published_item(title="Kubernetes at scale", campaign=summit, content_type="thought_leadership")
    a.topics.add(cloud)
    published_item(title="Hiring", content_type="job_opening", texts=[("x", "We need engineers")])
    assert [i.title for i in content_visible_to(ann, topic=cloud)] == ["Kubernetes at scale"]
    assert [i.title for i in content_visible_to(ann, campaign=summit.pk)] == ["Kubernetes at scale"]
    assert [i.title for i in content_visible_to(ann, content_type="job_opening")] == ["Hiring"]
    assert [i.title for i in content_visible_to(ann, search="engineers")] == ["Hiring"]
    assert [i.title for i in content_visible_to(ann, search="KUBERNETES")] == ["Kubernetes at scale"]


def test_order_pinned_then_priority_then_newest(ann):
    now = timezone.now()
    published_item(title="old", published_at=now - timedelta(days=3))
    published_item(title="new", published_at=now)
    published_item(title="pinned", pinned=True, published_at=now - timedelta(days=9))
    published_item(title="priority", priority=5, published_at=now - timedelta(days=5))
    assert [i.title for i in content_visible_to(ann)] == ["pinned", "priority", "new", "old"]


@pytest.mark.parametrize("n", [5, 500])
def test_constant_queries(ann, n, sales):
    topics = [TopicFactory(name=f"T{i}") for i in range(3)]
    items = ContentItem.objects.bulk_create(
        [ContentItem(title=f"i{i}", status="published", published_at=timezone.now(), target_everyone=i % 2 == 0)
         for i in range(n)]
    )
    ShareText.objects.bulk_create(
        [ShareText(item=i, network=net, text="t") for i in items for net in ("linkedin", "x")]
    )
    ContentItem.topics.through.objects.bulk_create(
        [ContentItem.topics.through(contentitem_id=i.pk, topic_id=t.pk) for i in items for t in topics]
    )
    ContentItem.target_teams.through.objects.bulk_create(
        [ContentItem.target_teams.through(contentitem_id=i.pk, team_id=sales.pk) for i in items[1::2]]
    )
    with CaptureQueriesContext(connection) as ctx:
        rows = list(content_visible_to(ann))
        for item in rows:
            _ = item.campaign, [t.name for t in item.topics.all()], share_text_variant(item, "x", ann)
    assert len(rows) == n
    assert len(ctx.captured_queries) == 3


def test_variants_rotate_across_colleagues():
    item = published_item(texts=[("linkedin", "A"), ("linkedin", "B"), ("linkedin", "C"), ("x", "only")])
    item = content_visible_to(UserFactory()).get(pk=item.pk)
    offered = {share_text_variant(item, "linkedin", UserFactory()).text for _ in range(12)}
    assert offered == {"A", "B", "C"}
    someone = UserFactory()
    assert share_text_variant(item, "linkedin", someone) == share_text_variant(item, "linkedin", someone)
    assert share_text_variant(item, "x", someone).text == "only"
