"""The share dialog: what it shows, how it answers a submitted form."""

import zoneinfo
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Share
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee", timezone="Europe/Berlin")
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    return user


def url(item):
    return reverse("share_dialog", args=[item.pk])


def test_the_dialog_offers_each_network_with_its_text(client, ann):
    item = published_item(texts=[("linkedin", "One"), ("linkedin", "Two"), ("x", "Short")])
    response = client.get(url(item))
    assert response.status_code == 200
    rows = {n["key"]: n for n in response.context["networks"]}
    assert rows["linkedin"]["connected"] and rows["linkedin"]["checked"]
    assert not rows["x"]["connected"] and not rows["x"]["checked"]  # not connected: not ticked
    assert rows["x"]["text"] == "Short" and rows["linkedin"]["text"] in ("One", "Two")
    assert [v.text for v in rows["linkedin"]["variants"]] == ["One", "Two"]
    assert response.context["link_example"].endswith("/r/XXXXXXXXXX") and response.context["idempotency_key"]


def test_a_submitted_form_creates_the_share_and_says_so(client, ann, django_capture_on_commit_callbacks):
    item = published_item()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url(item), {"networks": ["linkedin"], "text_linkedin": "My words",
                                           "idempotency_key": "k", "when": "now"})
    assert response.status_code == 302 and response["Location"] == reverse("my_shares")
    assert Share.objects.get().text == "My words"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Sharing on LinkedIn… you'll see it posted in a moment."
    ]


def test_a_scheduled_share_says_when_in_the_employees_time(client, ann, django_capture_on_commit_callbacks):
    item = published_item()
    local = (timezone.now() + timedelta(days=2)).astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    when = local.strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url(item), {"networks": ["linkedin"], "idempotency_key": "k", "when": "later",
                                           "scheduled_for": when})
    assert response.status_code == 302
    share = Share.objects.get()
    assert share.status == "scheduled"
    assert share.scheduled_for.astimezone(local.tzinfo).strftime("%Y-%m-%dT%H:%M") == when
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Scheduled for ") and message.endswith(" on LinkedIn.")


def test_a_missing_schedule_keeps_the_form(client, ann):
    item = published_item()
    response = client.post(url(item), {"networks": ["linkedin"], "text_linkedin": "Kept",
                                       "idempotency_key": "k", "when": "later", "scheduled_for": ""})
    assert response.status_code == 400
    assert response.context["errors"] == {"schedule": "Choose a date and time for your scheduled share."}
    assert response.context["when"] == "later" and response.context["idempotency_key"] == "k"
    rows = {n["key"]: n for n in response.context["networks"]}
    assert rows["linkedin"]["text"] == "Kept" and rows["linkedin"]["checked"] and not rows["x"]["checked"]
    assert Share.objects.count() == 0


def test_a_refused_share_shows_the_error_on_its_network(client, ann):
    item = published_item()
    response = client.post(url(item), {"networks": ["x"], "idempotency_key": "k", "when": "now"})
    assert response.status_code == 400
    assert response.context["errors"] == {"x": "Connect your X account first."}
    rows = {n["key"]: n for n in response.context["networks"]}
    assert rows["x"]["error"] == "Connect your X account first." and rows["linkedin"]["error"] == ""


def test_a_form_level_error_is_shown_above_the_networks(client, ann):
    item = published_item()
    response = client.post(url(item), {"networks": ["linkedin"], "idempotency_key": "", "when": "now"})
    assert response.status_code == 400
    assert response.context["errors"] == {"form": "This form has expired. Reload the page and share again."}
