from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import ContentItem, ContentStatus
from content.services.workflow import (
    NotAllowed,
    WorkflowError,
    allowed_transitions,
    content_expire_due,
    content_publish,
    content_publish_due,
    content_schedule,
    content_transition,
)
from content.signals import content_published
from tests.factories import ContentItemFactory, UserFactory, advocate, approver, curator

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_events():
    events = []

    def receiver(sender, item_id, **kwargs):
        events.append(item_id)

    content_published.connect(receiver, dispatch_uid="test-receiver")
    yield events
    content_published.disconnect(dispatch_uid="test-receiver")


def test_curator_submits_and_approver_publishes(django_capture_on_commit_callbacks, published_events):
    cur, app = curator(), approver()
    item = ContentItemFactory(created_by=cur)
    content_transition(item=item, user=cur, name="submit")
    assert ContentItem.objects.get(pk=item.pk).status == ContentStatus.IN_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=app) is True
    item.refresh_from_db()
    assert item.status == ContentStatus.PUBLISHED and item.published_at and item.approved_by == app
    assert published_events == [item.pk]
    assert list(item.changes.values_list("action", flat=True)) == ["publish", "submit"]


@pytest.mark.parametrize("name", ["approve"])
def test_curator_cannot_approve(name):
    item = ContentItemFactory(status="in_review")
    with pytest.raises(NotAllowed):
        content_transition(item=item, user=curator(), name=name)
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"


def test_curator_cannot_publish_or_schedule():
    cur = curator()
    item = ContentItemFactory(status="in_review")
    with pytest.raises(NotAllowed):
        content_publish(item=item, user=cur)
    with pytest.raises(NotAllowed):
        content_schedule(item=item, user=cur, publish_at=timezone.now() + timedelta(hours=1))
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"


def test_advocate_can_do_nothing():
    item = ContentItemFactory()
    adv = advocate()
    assert allowed_transitions(item, adv) == []
    with pytest.raises(NotAllowed):
        content_transition(item=item, user=adv, name="submit")


def test_allowed_transitions_per_role():
    item = ContentItemFactory(status="in_review")
    assert {t.name for t in allowed_transitions(item, curator())} == {"return_to_draft", "archive"}
    assert {t.name for t in allowed_transitions(item, approver())} == {
        "return_to_draft", "approve", "schedule", "publish", "archive"
    }


@pytest.mark.parametrize(
    ("status", "name"),
    [("published", "submit"), ("archived", "approve"), ("draft", "return_to_draft"), ("archived", "archive")],
)
def test_invalid_transitions_are_refused(status, name):
    item = ContentItemFactory(status=status)
    with pytest.raises(WorkflowError):
        content_transition(item=item, user=approver(), name=name)
    assert ContentItem.objects.get(pk=item.pk).status == status


def test_approve_then_schedule_then_publish_on_time(django_capture_on_commit_callbacks, published_events):
    app = approver()
    item = ContentItemFactory(status="in_review")
    content_transition(item=item, user=app, name="approve")
    when = timezone.now() + timedelta(hours=2)
    content_schedule(item=item, user=app, publish_at=when)
    assert ContentItem.objects.get(pk=item.pk).status == "scheduled"
    assert content_publish_due(now=timezone.now()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        # freezing "now" past publish_at: the item is due
        from freezegun import freeze_time

        with freeze_time(when + timedelta(seconds=30)):
            assert content_publish_due() == 1
            assert content_publish_due() == 0  # a second (overlapping) run publishes nothing
    item.refresh_from_db()
    assert item.status == "published" and item.published_at >= when
    assert published_events == [item.pk]


def test_publish_twice_emits_once(django_capture_on_commit_callbacks, published_events):
    app = approver()
    item = ContentItemFactory(status="approved")
    stale_copy = ContentItem.objects.get(pk=item.pk)  # another process loaded it before we published
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=app) is True
        assert content_publish(item=stale_copy, user=None) is False
    assert published_events == [item.pk]


def test_schedule_in_the_past_or_after_expiry_is_refused():
    app = approver()
    item = ContentItemFactory(status="approved", expires_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(WorkflowError, match="future"):
        content_schedule(item=item, user=app, publish_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(WorkflowError, match="expire"):
        content_schedule(item=item, user=app, publish_at=timezone.now() + timedelta(hours=2))
    assert ContentItem.objects.get(pk=item.pk).status == "approved"


def test_expire_due():
    past = timezone.now() - timedelta(minutes=1)
    expired = ContentItemFactory(status="published", expires_at=past)
    live = ContentItemFactory(status="published", expires_at=timezone.now() + timedelta(days=1))
    draft = ContentItemFactory(status="draft", expires_at=past)
    assert content_expire_due() == 1
    assert content_expire_due() == 0
    assert ContentItem.objects.get(pk=expired.pk).status == "expired"
    assert ContentItem.objects.get(pk=live.pk).status == "published"
    assert ContentItem.objects.get(pk=draft.pk).status == "draft"
    assert expired.changes.filter(action="expire").count() == 1


def test_admin_role_can_publish():
    from accounts.roles import ADMIN

    admin_user = UserFactory(roles=[ADMIN])
    item = ContentItemFactory(status="draft")
    assert content_publish(item=item, user=admin_user)
