"""Each event type is emitted by the real action that makes it happen and reaches the
receiver signed, with its documented shape; an event is recorded once, and the sweep
records one whose signal was missed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services.invitations import invitation_token
from advocacy.models import Share
from advocacy.services.posting import share_post
from advocacy.services.sharing import ShareRequest, share_create
from analytics.events import clicks_recorded
from analytics.services.clicks import clicks_flush
from content.services.workflow import content_publish
from notifications.services.digests import digest_chunk
from tests.analytics.conftest import posted_share
from tests.factories import CampaignFactory, ContentItemFactory, UserFactory, approver, published_item
from tests.notifications.helpers import item_for, person
from tests.support import connect_account
from webhooks.models import EventType, WebhookDelivery, WebhookEvent
from webhooks.services.endpoints import endpoint_create
from webhooks.services.events import events_catch_up

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


def only(receiver, event_type):
    [hit] = receiver.of_type(event_type)
    assert hit.verified
    return hit.payload


def test_publishing_an_item_sends_content_published(receiver, endpoint, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(name="Cloud launch")
    item = ContentItemFactory(title="We launched in Frankfurt", campaign=campaign, url="https://example.com/fra")
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=approver())
    payload = only(receiver, "content.published")
    item.refresh_from_db()
    assert payload["timestamp"] == item.published_at.isoformat()
    assert payload["data"] == {"item": {
        "id": item.pk, "title": "We launched in Frankfurt", "url": "https://example.com/fra",
        "share_url": f"http://testserver/share/{item.pk}/", "content_type": item.content_type,
        "campaign": {"id": campaign.pk, "name": "Cloud launch"},
        "published_at": item.published_at.isoformat(), "expires_at": None,
    }}


@pytest.fixture
def ann(networks, redis_url):
    user = UserFactory(full_name="Ann Lee", email="ann@example.com")
    connect_account(user, "x", networks)
    return user


def new_share(user, django_capture_on_commit_callbacks) -> Share:
    item = published_item(texts=[("x", "Worth a read")], url="https://example.com/story")
    with django_capture_on_commit_callbacks(execute=False):
        [share] = share_create(user=user, item=item, request=ShareRequest(networks=["x"], idempotency_key="k"))
    return share


def test_a_share_posted_through_the_posting_service_sends_share_posted(
        ann, networks, receiver, endpoint, django_capture_on_commit_callbacks):
    share = new_share(ann, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert share_post(share_id=share.pk).status == "posted"
    share.refresh_from_db()
    [post] = networks.state.posts("x")  # the post is real, on the sandbox
    payload = only(receiver, "share.posted")
    assert payload["data"] == {
        "share": {"id": share.pk, "item_id": share.item_id, "network": "x", "post_id": share.remote_id,
                  "post_url": share.remote_url, "tracked_url": share.tracked_url,
                  "posted_at": share.posted_at.isoformat(), "how": "published"},
        "person": {"id": ann.pk, "email": "ann@example.com"},
    }
    assert share.remote_id and share.tracked_url in post.raw_text
    assert "token" not in receiver.of_type("share.posted")[0].body.decode().lower()


def test_a_rejected_share_sends_share_failed(ann, networks, receiver, endpoint, django_capture_on_commit_callbacks):
    share = new_share(ann, django_capture_on_commit_callbacks)
    networks.faults.next("forbidden", network="x", group="post")
    with django_capture_on_commit_callbacks(execute=True):
        assert share_post(share_id=share.pk).status == "failed"
    share.refresh_from_db()
    data = only(receiver, "share.failed")["data"]
    assert data["share"] == {"id": share.pk, "item_id": share.item_id, "network": "x",
                             "error_code": share.error_code or None, "reason": share.error_message}
    assert data["person"] == {"id": ann.pk, "email": "ann@example.com"}
    assert receiver.of_type("share.posted") == []


def test_a_click_flush_sends_one_clicks_recorded_with_counts_per_share(
        client, settings, redis_url, receiver, endpoint, django_capture_on_commit_callbacks):
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    share, other = posted_share(), posted_share(network="x")
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert client.get(f"/r/{share.link_code}", HTTP_USER_AGENT=CHROME, REMOTE_ADDR=ip).status_code == 302
    client.get(f"/r/{share.link_code}", HTTP_USER_AGENT="LinkedInBot/1.0", REMOTE_ADDR="198.51.100.9")
    client.get(f"/r/{other.link_code}", HTTP_USER_AGENT=CHROME, REMOTE_ADDR="203.0.113.4")
    with django_capture_on_commit_callbacks(execute=True):
        assert clicks_flush() == 5
        assert clicks_flush() == 0  # nothing new: no event
    data = only(receiver, "clicks.recorded")["data"]
    assert data["totals"] == {"clicks": 4, "previews": 1}
    assert data["shares"] == [
        {"share_id": share.pk, "item_id": share.item_id, "network": "linkedin", "clicks": 3, "previews": 1},
        {"share_id": other.pk, "item_id": other.item_id, "network": "x", "clicks": 1, "previews": 0},
    ]
    assert data["period"]["first_click_at"] <= data["period"]["last_click_at"]
    assert "203.0.113" not in receiver.hits[0].body.decode()  # no addresses, no visitors


def test_a_weekly_digest_sends_digest_sent_per_person(receiver, endpoint, django_capture_on_commit_callbacks):
    ann = person("weekly", email="ann@example.com")
    item_for(everyone=True, title="Something new")
    with django_capture_on_commit_callbacks(execute=True):
        report = digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")
    assert report.sent == 1
    data = only(receiver, "digest.sent")["data"]
    assert data["person"] == {"id": ann.pk, "email": "ann@example.com"}
    assert data["digest"]["kind"] == "weekly" and data["digest"]["period"] == "2025-W48"


def test_accepting_an_invitation_sends_person_joined(client, receiver, endpoint, django_capture_on_commit_callbacks):
    invitee = UserFactory(advocate_opted_in_at=None, roles=[], email="new@example.com")
    url = reverse("accept_invitation", args=[invitation_token(invitee)])
    password = "a-Long-unusual-passphrase-42"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"new_password1": password, "new_password2": password}).status_code == 302
    assert only(receiver, "person.joined")["data"] == {"person": {"id": invitee.pk, "email": "new@example.com"},
                                                       "how": "invitation"}


def test_endpoints_get_only_the_types_they_subscribe_to(receiver, django_capture_on_commit_callbacks):
    shares_only = endpoint_create(url=receiver.url, events=[EventType.SHARE_POSTED])
    receiver.secrets = [shares_only.secret]
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=ContentItemFactory(), user=approver())
    assert receiver.hits == [] and not WebhookEvent.objects.exists()  # nobody listens: nothing recorded


def test_an_event_is_recorded_once_however_often_its_signal_comes(receiver, endpoint, django_capture_on_commit_callbacks):
    from content.signals import content_published

    item = published_item()
    with django_capture_on_commit_callbacks(execute=True):
        content_published.send(sender=None, item_id=item.pk)
        content_published.send(sender=None, item_id=item.pk)
    assert WebhookEvent.objects.filter(type="content.published").count() == 1
    assert len(receiver.hits) == 1


def test_the_sweep_records_an_event_whose_signal_was_missed(receiver, endpoint, django_capture_on_commit_callbacks):
    item = ContentItemFactory()
    with django_capture_on_commit_callbacks(execute=False):  # the process died before on_commit ran
        assert content_publish(item=item, user=approver())
    item.refresh_from_db()
    assert events_catch_up(now=item.published_at + timedelta(seconds=30)) == 0  # the signal may still come
    with django_capture_on_commit_callbacks(execute=True):
        assert events_catch_up(now=item.published_at + timedelta(minutes=2)) == 1
        assert events_catch_up(now=item.published_at + timedelta(minutes=3)) == 0
    assert only(receiver, "content.published")["data"]["item"]["id"] == item.pk


def test_an_endpoint_added_later_is_not_sent_what_happened_before(receiver, django_capture_on_commit_callbacks):
    item = ContentItemFactory()
    with django_capture_on_commit_callbacks(execute=False):
        assert content_publish(item=item, user=approver())
    late = endpoint_create(url=receiver.url, events=[EventType.CONTENT_PUBLISHED])
    receiver.secrets = [late.secret]
    assert events_catch_up(now=timezone.now() + timedelta(minutes=2)) == 0
    assert receiver.hits == []


def test_a_failure_to_record_never_breaks_the_action(endpoint, monkeypatch):
    from webhooks.services import events

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(events, "clicks_recorded_emit", broken)
    share = posted_share()
    clicks_recorded.send(sender=None, counts={share.pk: {"clicks": 1, "previews": 0}},
                         first_at=timezone.now(), last_at=timezone.now())
    assert not WebhookDelivery.objects.exists()


def test_recording_digest_events_takes_as_many_queries_for_30_people_as_for_3(endpoint):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.models import EmailDelivery
    from webhooks.services.events import digest_sent_emit

    def run(count: int, period: str) -> int:
        now = timezone.now()
        EmailDelivery.objects.bulk_create(
            EmailDelivery(user=person("weekly"), kind="weekly_digest", period=period, status="sent",
                          claim_token=period, claimed_at=now, sent_at=now)
            for _ in range(count)
        )
        ids = list(EmailDelivery.objects.filter(period=period).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            digest_sent_emit(delivery_ids=ids)
        return len(ctx.captured_queries)

    assert run(3, "2025-W01") == run(30, "2025-W02")
    assert WebhookDelivery.objects.filter(event__type="digest.sent", endpoint=endpoint).count() == 33


def test_a_share_the_employee_confirms_sends_share_posted(
        receiver, endpoint, django_capture_on_commit_callbacks):
    from advocacy.services.sharing import share_confirm

    share = posted_share(status="unconfirmed", remote_id="")
    with django_capture_on_commit_callbacks(execute=True):
        assert share_confirm(user=share.user, share=share, landed=True, post_url="https://x.com/ann/status/1")
    data = only(receiver, "share.posted")["data"]
    assert data["share"]["id"] == share.pk and data["share"]["how"] == "confirmed by the employee"
    assert data["share"]["post_url"] == "https://x.com/ann/status/1" and data["share"]["post_id"] is None


def test_old_finished_events_are_purged_and_waiting_ones_kept(endpoint, settings):
    from webhooks.services.events import NewEvent, events_purge, events_record

    settings.WEBHOOKS_RETENTION_DAYS = 30
    [done, waiting] = events_record(event_type=EventType.SHARE_FAILED, entries=[
        NewEvent({"n": 1}, timezone.now()), NewEvent({"n": 2}, timezone.now())])
    WebhookDelivery.objects.filter(event=done).update(status="succeeded")
    later = timezone.now() + timedelta(days=31)
    assert events_purge(now=later - timedelta(days=2)) == 0
    assert events_purge(now=later) == 1
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [waiting.pk]
