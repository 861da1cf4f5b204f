"""The share dialog: what it shows, how it answers a submitted form."""

import zoneinfo
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Share
from advocacy.services.sharing import share_retry
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
    made = Share.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{reverse('my_shares')}?shared={made.pk}"
    assert made.text == "My words"
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


# --- no accidental second post ----------------------------------------------------------------

POST_URL = "https://www.linkedin.com/feed/update/urn:li:share:7/"


def shared_before(user, item, *, status="posted", hours=2, network="linkedin", **fields):
    share = Share.objects.create(user=user, item=item, network=network, text="Earlier", final_text="Earlier",
                                 idempotency_key=f"before-{status}-{hours}", status=status)
    then = timezone.now() - timedelta(hours=hours)
    if status == "posted":
        fields = {"posted_at": then, "remote_url": POST_URL, **fields}
    Share.objects.filter(pk=share.pk).update(created_at=then, **fields)
    return Share.objects.get(pk=share.pk)


def notes(response) -> dict[str, str]:
    """The "you shared this" line of each network, as the employee reads it."""
    page = BeautifulSoup(response.content, "html.parser")
    return {p["data-recent-share"]: " ".join(p.get_text().split()) for p in page.select("[data-recent-share]")}


def boxes(response) -> dict[str, tuple[str, bool]]:
    """Each network's checkbox: its field name and whether it is ticked."""
    page = BeautifulSoup(response.content, "html.parser")
    return {
        i["value"]: (i["name"], i.has_attr("checked"))
        for i in page.select("fieldset.share-network input[type=checkbox]")
    }


def test_the_dialog_says_what_was_shared_recently_and_asks_for_share_again(client, ann):
    item = published_item()
    shared_before(ann, item)
    response = client.get(url(item))
    assert notes(response) == {"linkedin": "You shared this on LinkedIn 2 hours ago — view post"}
    link = BeautifulSoup(response.content, "html.parser").select_one("[data-recent-share=linkedin] a")
    assert link["href"] == POST_URL
    assert boxes(response) == {"linkedin": ("share_again", False), "x": ("networks", False)}
    assert "Share again on LinkedIn" in response.content.decode()


def test_a_share_still_going_out_links_to_my_shares(client, ann):
    item = published_item()
    shared_before(ann, item, status="queued", hours=0)
    response = client.get(url(item))
    assert notes(response) == {"linkedin": "You shared this on LinkedIn just now — see My shares"}
    link = BeautifulSoup(response.content, "html.parser").select_one("[data-recent-share=linkedin] a")
    assert link["href"] == reverse("my_shares")


def test_a_recent_scheduled_share_says_when_in_the_employees_time(client, ann):
    item = published_item()
    when = timezone.now() + timedelta(days=2)
    shared_before(ann, item, status="scheduled", hours=0, scheduled_for=when)
    local = when.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    assert notes(client.get(url(item))) == {
        "linkedin": f"You scheduled this for LinkedIn on {local:%a} {local.day} {local:%b %Y, %H:%M} — see My shares"
    }


def test_old_failed_or_other_peoples_shares_say_nothing(client, ann):
    item = published_item()
    shared_before(ann, item, hours=25)
    shared_before(ann, item, status="failed", hours=1)
    shared_before(UserFactory(), item, hours=1)
    response = client.get(url(item))
    assert notes(response) == {} and boxes(response)["linkedin"] == ("networks", True)


def test_the_dialog_is_never_cached(client, ann):
    response = client.get(url(item := published_item()))
    assert "no-store" in response["Cache-Control"]
    refused = client.post(url(item), {"networks": ["x"], "idempotency_key": "k", "when": "now"})
    assert refused.status_code == 400 and "no-store" in refused["Cache-Control"]
    key_field = BeautifulSoup(response.content, "html.parser").select_one("input[name=idempotency_key]")
    assert key_field["autocomplete"] == "off" and len(key_field["value"]) == 32


def test_a_new_form_for_a_recently_shared_network_is_refused(client, ann):
    """Two tabs, or Back to a page rendered before the share: the server says no."""
    item = published_item()
    shared_before(ann, item)
    response = client.post(url(item), {"networks": ["linkedin"], "idempotency_key": "other-tab", "when": "now"})
    assert response.status_code == 400
    assert response.context["errors"] == {"linkedin": (
        "You shared this on LinkedIn 2 hours ago. To post it a second time, choose “Share again on LinkedIn”."
    )}
    assert notes(response) == {"linkedin": "You shared this on LinkedIn 2 hours ago — view post"}
    assert boxes(response)["linkedin"] == ("share_again", False)
    assert Share.objects.count() == 1


def test_nothing_ticked_after_a_share_says_why(client, ann):
    item = published_item()
    shared_before(ann, item)
    response = client.post(url(item), {"idempotency_key": "k", "when": "now"})
    assert response.status_code == 400
    assert response.context["errors"] == {"form": (
        "Nothing new was shared: you already shared this on LinkedIn. To post it a second time, tick “Share again”."
    )}
    assert Share.objects.count() == 1


def test_share_again_ticked_shares_it_again(client, ann, django_capture_on_commit_callbacks):
    item = published_item()
    earlier = shared_before(ann, item)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url(item), {"share_again": ["linkedin"], "text_linkedin": "Once more",
                                           "idempotency_key": "again", "when": "now"})
    assert response.status_code == 302 and len(callbacks) == 1
    assert Share.objects.exclude(pk=earlier.pk).get().text == "Once more"


def test_a_refused_share_again_keeps_the_box_ticked(client, ann):
    item = published_item()
    shared_before(ann, item)
    response = client.post(url(item), {"share_again": ["linkedin"], "text_linkedin": "",
                                       "idempotency_key": "k", "when": "now"})
    assert response.status_code == 400 and response.context["errors"] == {"linkedin": "Write something to share on LinkedIn."}
    assert boxes(response)["linkedin"] == ("share_again", True)


def test_double_submit_of_the_same_form_shares_once_and_says_already_shared(
    client, ann, django_capture_on_commit_callbacks
):
    item = published_item()
    form = {"networks": ["linkedin"], "text_linkedin": "Mine", "idempotency_key": "rendered-once", "when": "now"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(url(item), form)
        second = client.post(url(item), form)  # double click, or Back + Share on the same page
    assert first.status_code == second.status_code == 302 and second["Location"] == reverse("my_shares")
    assert Share.objects.count() == 1 and len(callbacks) == 1
    assert [str(m) for m in get_messages(second.wsgi_request)] == [
        "Sharing on LinkedIn… you'll see it posted in a moment.",
        "Already shared on LinkedIn: this form was sent before, so nothing new was posted.",
    ]


def test_after_sharing_a_new_render_shows_the_warning(client, ann, django_capture_on_commit_callbacks):
    item = published_item()
    first_render = client.get(url(item)).context["idempotency_key"]
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url(item), {"networks": ["linkedin"], "idempotency_key": first_render, "when": "now"})
    again = client.get(url(item))
    assert again.context["idempotency_key"] != first_render
    assert notes(again) == {"linkedin": "You shared this on LinkedIn just now — see My shares"}


def test_the_feed_pill_and_the_dialog_agree(client, ann, django_capture_on_commit_callbacks):
    item = published_item()
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url(item), {"networks": ["linkedin"], "idempotency_key": "k", "when": "now"})
    feed = client.get(reverse("home"))
    assert "no-store" in feed["Cache-Control"]
    [article] = [a for a in BeautifulSoup(feed.content, "html.parser").select("article.feed-item")
                 if a.select_one(f"a[href='{url(item)}']")]
    assert [p.get_text() for p in article.select(".pill.ok")] == ["LinkedIn ✓"]
    assert set(notes(client.get(url(item)))) == {"linkedin"}


def test_retry_starts_a_fresh_set_of_attempts(client, ann, django_capture_on_commit_callbacks):
    share = shared_before(ann, published_item(), status="failed", hours=1, attempts=6,
                          unavailable_since=timezone.now(), error_message="LinkedIn is down")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("share_retry", args=[share.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Trying again…"]
    share.refresh_from_db()
    assert (share.status, share.attempts, share.unavailable_since, share.error_message) == ("queued", 0, None, "")
    assert not share_retry(user=ann, share=share)
