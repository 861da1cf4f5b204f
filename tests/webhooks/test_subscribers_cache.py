"""A posting worker does not ask the database about webhook endpoints for every share
(webhooks.selectors): it remembers "nobody subscribes to share.posted" for a few seconds.
An endpoint created in this process is honoured at once; one turned on elsewhere within
those seconds still gets every share.posted (the catch-up records what the workers
skipped), and one turned off gets nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.models import Share
from advocacy.services.posting import share_post
from advocacy.services.sharing import ShareRequest, share_create
from tests.factories import UserFactory, published_item
from tests.support import connect_account
from webhooks import selectors
from webhooks.models import EventType, WebhookEndpoint, WebhookEvent
from webhooks.services.endpoints import endpoint_create, endpoint_disable, new_secret
from webhooks.services.events import events_catch_up, share_key

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(selectors, "_clock", fake)
    selectors.subscribers_forget()  # nothing remembered from an earlier test
    yield fake
    selectors.subscribers_forget()


@pytest.fixture
def crm(receiver):
    """Makes endpoints pointing at the receiver, which knows their secrets."""
    def make(**kwargs) -> WebhookEndpoint:
        endpoint = endpoint_create(url=receiver.url, events=[EventType.SHARE_POSTED], **kwargs)
        receiver.secrets.append(endpoint.secret)
        return endpoint
    return make


@pytest.fixture
def ann(networks, redis_url):
    user = UserFactory(full_name="Ann Lee", email="ann@example.com")
    connect_account(user, "x", networks)
    return user


def post_one(user, key: str, django_capture_on_commit_callbacks) -> Share:
    item = published_item(texts=[("x", f"Worth a read {key}")], url=f"https://example.com/{key}")
    with django_capture_on_commit_callbacks(execute=False):
        [share] = share_create(user=user, item=item, request=ShareRequest(networks=["x"], idempotency_key=key))
    with django_capture_on_commit_callbacks(execute=True):
        assert share_post(share_id=share.pk).status == "posted"
    share.refresh_from_db()
    return share


def recorded(share: Share) -> bool:
    return WebhookEvent.objects.filter(type=EventType.SHARE_POSTED, dedupe_key=share_key(share)).exists()


def webhook_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if "webhooks_" in q["sql"]]


def test_without_endpoints_a_worker_asks_once_per_interval(ann, clock, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as ctx:
        post_one(ann, "a", django_capture_on_commit_callbacks)
    assert len(webhook_queries(ctx.captured_queries)) == 1
    with CaptureQueriesContext(connection) as ctx:
        post_one(ann, "b", django_capture_on_commit_callbacks)
    assert webhook_queries(ctx.captured_queries) == []
    clock.now += selectors.SUBSCRIBERS_TTL + 1
    with CaptureQueriesContext(connection) as ctx:
        post_one(ann, "c", django_capture_on_commit_callbacks)
    assert len(webhook_queries(ctx.captured_queries)) == 1
    assert not WebhookEvent.objects.exists()


def test_an_endpoint_created_in_this_process_gets_the_next_share_at_once(
        ann, clock, crm, django_capture_on_commit_callbacks):
    post_one(ann, "a", django_capture_on_commit_callbacks)  # "nobody subscribes" remembered
    crm()
    share = post_one(ann, "b", django_capture_on_commit_callbacks)
    assert recorded(share)


def test_an_endpoint_created_elsewhere_gets_every_share_posted(
        ann, clock, receiver, django_capture_on_commit_callbacks):
    post_one(ann, "a", django_capture_on_commit_callbacks)  # no endpoint: remembered
    # Another process (the admin's) creates one: this process's signals do not see that.
    [endpoint] = WebhookEndpoint.objects.bulk_create([WebhookEndpoint(
        url=receiver.url, events=[EventType.SHARE_POSTED], secret=new_secret())])
    receiver.secrets.append(endpoint.secret)
    skipped = post_one(ann, "b", django_capture_on_commit_callbacks)
    assert not recorded(skipped)  # within the interval the worker still believes nobody listens
    # ... and the catch-up records it, once, for the endpoint.
    with django_capture_on_commit_callbacks(execute=False):
        assert events_catch_up(now=skipped.posted_at + timedelta(minutes=2)) == 1
        assert events_catch_up(now=skipped.posted_at + timedelta(minutes=3)) == 0
    assert recorded(skipped)
    assert WebhookEvent.objects.get(dedupe_key=share_key(skipped)).deliveries.get().endpoint_id == endpoint.pk
    # After the interval the worker asks again and records directly.
    clock.now += selectors.SUBSCRIBERS_TTL + 1
    assert recorded(post_one(ann, "c", django_capture_on_commit_callbacks))


def test_an_endpoint_turned_off_gets_nothing_though_the_worker_remembers_it(
        ann, clock, crm, django_capture_on_commit_callbacks):
    from django.utils import timezone

    endpoint = crm()
    assert recorded(post_one(ann, "a", django_capture_on_commit_callbacks))  # "someone subscribes" remembered
    assert endpoint_disable(endpoint_id=endpoint.pk, reason="410 Gone", now=timezone.now())
    assert not recorded(post_one(ann, "b", django_capture_on_commit_callbacks))


def test_other_event_types_are_not_answered_from_memory(ann, clock, networks, django_capture_on_commit_callbacks):
    """share.failed has no catch-up: it is always looked up."""
    post_one(ann, "a", django_capture_on_commit_callbacks)  # "nobody subscribes to share.posted" remembered
    WebhookEndpoint.objects.bulk_create([WebhookEndpoint(url="https://crm.example.com/hooks", secret="s" * 32,
                                                         events=[EventType.SHARE_FAILED], is_active=True)])
    item = published_item(texts=[("x", "Worth a read f")], url="https://example.com/f")
    with django_capture_on_commit_callbacks(execute=False):
        [share] = share_create(user=ann, item=item, request=ShareRequest(networks=["x"], idempotency_key="f"))
    networks.faults.next("forbidden", network="x", group="post")
    with django_capture_on_commit_callbacks(execute=False):
        assert share_post(share_id=share.pk).status == "failed"
    assert WebhookEvent.objects.filter(type=EventType.SHARE_FAILED).count() == 1
