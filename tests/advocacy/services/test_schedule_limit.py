"""Nothing is scheduled more than 90 days ahead, and confirmations show the year."""

import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from advocacy.models import Share
from advocacy.services.sharing import ShareError, ShareRequest, share_create
from content.services.workflow import WorkflowError, content_schedule
from core.scheduling import MAX_DAYS_AHEAD, too_far_ahead, when_text
from tests.factories import ContentItemFactory, SocialAccountFactory, UserFactory, approver, published_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee", timezone="Europe/Berlin")
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    return user


def test_the_limit_is_90_days_to_the_second():
    now = timezone.now()
    assert MAX_DAYS_AHEAD == 90
    assert too_far_ahead(now + timedelta(days=90), now=now) == ""
    message = too_far_ahead(now + timedelta(days=90, seconds=1), now=now)
    assert message.startswith("That is more than 90 days ahead: choose a time before ")


@freeze_time("2026-03-03 08:30:00")
def test_when_text_has_the_year_in_the_active_time_zone():
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        assert when_text(timezone.now()) == "Tue 3 Mar 2026, 09:30"


def test_the_service_refuses_a_share_more_than_90_days_ahead(ann):
    item = published_item()
    with pytest.raises(ShareError) as exc:
        share_create(user=ann, item=item, request=ShareRequest(
            networks=["linkedin"], idempotency_key="k", scheduled_for=timezone.now() + timedelta(days=91)))
    assert exc.value.code == "too_far_ahead" and "more than 90 days ahead" in str(exc.value)
    assert not Share.objects.exists()


def test_the_dialog_refuses_it_and_confirms_a_date_within_with_the_year(client, ann,
                                                                       django_capture_on_commit_callbacks):
    item = published_item()
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    far = (timezone.now() + timedelta(days=120)).astimezone(berlin).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("share_dialog", args=[item.pk]), {
        "networks": ["linkedin"], "idempotency_key": "k", "when": "later", "scheduled_for": far})
    assert response.status_code == 400 and "more than 90 days ahead" in response.content.decode()
    assert not Share.objects.exists()

    soon = (timezone.now() + timedelta(days=89)).astimezone(berlin).replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("share_dialog", args=[item.pk]), {
            "networks": ["linkedin"], "idempotency_key": "k2", "when": "later",
            "scheduled_for": soon.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == f"Scheduled for {soon:%a} {soon.day} {soon:%b %Y, %H:%M} on LinkedIn."


def test_the_api_refuses_it(client, ann):
    item = published_item()
    when = (timezone.now() + timedelta(days=200)).isoformat()
    response = client.post("/api/v1/shares/", {"item": item.pk, "networks": ["linkedin"], "scheduled_for": when},
                           content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400 and "more than 90 days ahead" in response.json()["error"]["message"]
    assert not Share.objects.exists()


def test_publishing_is_not_scheduled_more_than_90_days_ahead():
    item = ContentItemFactory(status="in_review")
    with pytest.raises(WorkflowError, match="more than 90 days ahead"):
        content_schedule(item=item, user=approver(), publish_at=timezone.now() + timedelta(days=100))
    item.refresh_from_db()
    assert item.status == "in_review" and item.publish_at is None
    content_schedule(item=item, user=approver(), publish_at=timezone.now() + timedelta(days=80))
    assert item.status == "scheduled"
