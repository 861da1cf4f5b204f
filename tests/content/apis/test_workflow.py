"""The workflow actions through the staff API: the admin's transitions, permissions and trail."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from content.models import ContentItem
from content.services.workflow import TRANSITIONS
from content.signals import content_published
from tests.content.apis.conftest import API, as_user, with_token
from tests.factories import ContentItemFactory, published_item

pytestmark = pytest.mark.django_db
ITEMS = f"{API}/items/"


def act(call, item, name: str, body=None):
    return call.post(f"{ITEMS}{item.pk}/{name}/", body)


def test_every_transition_of_the_workflow_has_its_action():
    for name in TRANSITIONS:
        try:
            reverse(f"api-content-item-{name.replace('_', '-')}", kwargs={"pk": 1})
        except NoReverseMatch:
            pytest.fail(f"no API action for the transition {name!r}")


def test_from_draft_to_published(people, django_capture_on_commit_callbacks):
    item = ContentItemFactory()
    curator, approver = with_token(people["curator"]), with_token(people["approver"])

    response = act(curator, item, "submit", {"note": "Ready"})
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    assert item.changes.get(action="submit").note == "Ready"

    refused = act(curator, item, "approve")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"

    response = act(approver, item, "approve")
    assert response.status_code == 200 and response.json()["approved_by"] == people["approver"].pk

    published = []
    content_published.connect(lambda sender, item_id, **kw: published.append(item_id), weak=False,
                              dispatch_uid="test-api-published")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = act(approver, item, "publish")
    finally:
        content_published.disconnect(dispatch_uid="test-api-published")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert published == [item.pk]  # advocates are told, once
    entry = LogEntry.objects.get(additional_data__event="publish", object_pk=str(item.pk))
    assert entry.actor == people["approver"]

    again = act(approver, item, "publish")
    assert again.status_code == 400 and again.json()["error"]["code"] == "workflow_refused"
    assert "cannot be published from there" in again.json()["error"]["message"]


def test_curators_neither_publish_nor_schedule(people):
    item = ContentItemFactory()
    curator = as_user(people["curator"])
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert act(curator, item, "publish").status_code == 403
    assert act(curator, item, "schedule", {"publish_at": future}).status_code == 403
    assert ContentItem.objects.get(pk=item.pk).status == "draft"


def test_schedule(people):
    item = ContentItemFactory()
    approver = as_user(people["approver"])
    when = timezone.now() + timedelta(days=1)
    assert act(approver, item, "schedule").json()["error"]["field"] == "publish_at"
    past = act(approver, item, "schedule", {"publish_at": (timezone.now() - timedelta(hours=1)).isoformat()})
    assert past.status_code == 400 and "in the future" in past.json()["error"]["message"]
    naive = act(approver, item, "schedule", {"publish_at": "2030-01-01T09:00:00"})
    assert naive.status_code == 400 and "offset" in naive.json()["error"]["message"]
    assert ContentItem.objects.get(pk=item.pk).status == "draft"
    response = act(approver, item, "schedule", {"publish_at": when.isoformat()})
    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    assert ContentItem.objects.get(pk=item.pk).publish_at == when


def test_return_to_draft_archive_and_restore(people):
    item = ContentItemFactory(status="in_review")
    curator = as_user(people["curator"])
    response = act(curator, item, "return-to-draft", {"note": "Check the figures"})
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert item.changes.get(action="return_to_draft").note == "Check the figures"
    live = published_item()
    assert act(curator, live, "archive").json()["status"] == "archived"
    assert act(curator, live, "restore").json()["status"] == "draft"
    wrong = act(curator, live, "restore")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "workflow_refused"


def test_duplicate(people):
    item = published_item(title="Original", texts=[("linkedin", "Text")])
    response = act(as_user(people["curator"]), item, "duplicate")
    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["status"], [t["text"] for t in body["texts"]]) == ("Original (copy)", "draft",
                                                                                   ["Text"])
    assert ContentItem.objects.get(pk=body["id"]).created_by == people["curator"]


def test_an_action_on_an_item_that_does_not_exist(people):
    response = as_user(people["approver"]).post(f"{ITEMS}999999/approve/")
    assert response.status_code == 404
