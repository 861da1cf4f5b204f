"""Campaigns, topics and the suggestions queue through the staff API."""

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Campaign, ContentItem, ContentSuggestion, Topic
from content.services.suggestions import suggestion_create
from tests.content.apis.conftest import API, as_user, with_token
from tests.factories import CampaignFactory, ContentItemFactory, TopicFactory, advocate, published_item

pytestmark = pytest.mark.django_db


def test_campaign_crud_with_the_models_rules(people):
    call = with_token(people["curator"])
    response = call.post(f"{API}/campaigns/", {"name": "Spring", "slug": "spring", "starts_on": "2026-03-01",
                                               "ends_on": "2026-04-30", "goal_shares": 100})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["utm_campaign"], body["item_count"], body["status"]) == ("spring", 0, "planned")
    campaign = Campaign.objects.get(pk=body["id"])
    assert LogEntry.objects.get(content_type__model="campaign", object_pk=str(campaign.pk),
                                action=LogEntry.Action.CREATE).actor == people["curator"]

    backwards = call.patch(f"{API}/campaigns/{campaign.pk}/", {"ends_on": "2026-02-01"})
    assert backwards.status_code == 400
    assert backwards.json()["error"] == {"code": "invalid", "field": "ends_on",
                                         "message": "The campaign cannot end before it starts."}
    taken = call.post(f"{API}/campaigns/", {"name": "Other", "slug": "spring"})
    assert taken.status_code == 400 and taken.json()["error"]["field"] == "slug"
    assert Campaign.objects.count() == 1 and str(Campaign.objects.get().ends_on) == "2026-04-30"

    ContentItemFactory(campaign=campaign)
    published_item(campaign=campaign)
    body = call.patch(f"{API}/campaigns/{campaign.pk}/", {"status": "active"}).json()
    assert (body["status"], body["item_count"], body["published_count"]) == ("active", 2, 1)
    assert call.delete(f"{API}/campaigns/{campaign.pk}/").status_code == 403  # Approvers delete
    assert with_token(people["approver"]).delete(f"{API}/campaigns/{campaign.pk}/").status_code == 204
    assert ContentItem.objects.count() == 2  # the items stay


def test_campaign_filters(people):
    a, b = CampaignFactory(name="Spring launch", status="active"), CampaignFactory(name="Autumn", status="ended")
    call = as_user(people["curator"])
    assert [c["id"] for c in call.get(f"{API}/campaigns/").json()["results"]] == [b.pk, a.pk]
    assert [c["id"] for c in call.get(f"{API}/campaigns/", {"status": "ended"}).json()["results"]] == [b.pk]
    assert [c["id"] for c in call.get(f"{API}/campaigns/", {"search": "launch"}).json()["results"]] == [a.pk]


def test_topics(people):
    call = as_user(people["curator"])
    response = call.post(f"{API}/topics/", {"name": "Security", "slug": "security", "required": True})
    assert response.status_code == 201 and response.json()["item_count"] == 0
    topic = Topic.objects.get(slug="security")
    duplicate = call.post(f"{API}/topics/", {"name": "Security", "slug": "security-2"})
    assert duplicate.status_code == 400 and duplicate.json()["error"]["field"] == "name"
    TopicFactory(name="Cloud")
    assert [t["name"] for t in call.get(f"{API}/topics/", {"ordering": "name"}).json()["results"]] == [
        "Cloud", "Security"]
    assert [t["name"] for t in call.get(f"{API}/topics/", {"required": "true"}).json()["results"]] == ["Security"]
    assert call.delete(f"{API}/topics/{topic.pk}/").status_code == 403
    assert as_user(people["approver"]).delete(f"{API}/topics/{topic.pk}/").status_code == 403
    assert as_user(people["admin"]).delete(f"{API}/topics/{topic.pk}/").status_code == 204


def test_the_suggestions_queue(people):
    employee = advocate()
    first = suggestion_create(user=employee, url="https://example.com/a", note="Good one")
    second = suggestion_create(user=employee, url="https://example.com/b")
    call = with_token(people["curator"])
    queue = call.get(f"{API}/suggestions/").json()["results"]
    assert [s["id"] for s in queue] == [second.pk, first.pk]
    assert queue[1]["suggested_by"] == {"id": employee.pk, "name": employee.full_name}

    accepted = call.post(f"{API}/suggestions/{first.pk}/accept/", {"message": "Thanks!"})
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["item"]) == ("accepted", first.item_id)
    assert ContentItem.objects.get(pk=first.item_id).status == "draft"  # for the curator to finish
    rejected = call.post(f"{API}/suggestions/{second.pk}/reject/", {"message": "Covered already"})
    assert rejected.json()["status"] == "rejected"
    assert ContentItem.objects.get(pk=second.item_id).status == "archived"
    assert ContentSuggestion.objects.get(pk=second.pk).response == "Covered already"

    again = call.post(f"{API}/suggestions/{first.pk}/reject/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "workflow_refused"
    assert ContentSuggestion.objects.get(pk=first.pk).status == "accepted"
    assert call.get(f"{API}/suggestions/").json()["results"] == []
    assert len(call.get(f"{API}/suggestions/", {"status": "all"}).json()["results"]) == 2
    assert call.get(f"{API}/suggestions/{first.pk}/").json()["status"] == "accepted"


def _add(kind: str, n: int) -> None:
    for i in range(n):
        if kind == "campaigns":
            published_item(campaign=CampaignFactory())
        elif kind == "topics":
            published_item().topics.add(TopicFactory())
        elif kind == "suggestions":
            # Distinct links: the same link suggested again is merged, not queued twice.
            suggestion_create(user=advocate(), url=f"https://example.com/tip-{kind}-{n}-{i}")
        else:
            item = published_item()
            item.revisions.create(data={"fields": {"title": "x"}, "m2m": {}}, before={}, proposed_by=advocate())


@pytest.mark.parametrize("kind", ["campaigns", "topics", "suggestions", "revisions"])
def test_lists_cost_the_same_queries_however_long(people, kind, django_assert_max_num_queries):
    call = with_token(people["approver"])
    url = f"{API}/{kind}/"
    call.get(url)  # the token's first use is recorded once
    _add(kind, 2)
    with CaptureQueriesContext(connection) as few:
        assert len(call.get(url).json()["results"]) == 2
    _add(kind, 8)
    with django_assert_max_num_queries(len(few)):
        assert len(call.get(url).json()["results"]) == 10
