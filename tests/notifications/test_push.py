"""Web Push, sending side: the real encryption and VAPID signature, over HTTP to a push service
on loopback that decrypts each message with the subscription's keys (RFC 8291) and checks the
signature (RFC 8292) — see tests/notifications/push_receiver.py."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy.services.tokens import accounts_warn_expiring
from content.services.workflow import content_publish
from notifications.models import Notification, PushSubscription
from notifications.services.push import (
    SubscriptionInvalid,
    push_notifications_send,
    push_pairs_send,
    subscription_save,
    vapid_pair_generate,
)
from notifications.tasks import push_send_task
from tests.factories import ContentItemFactory, SocialAccountFactory, approver
from tests.notifications.helpers import person
from tests.notifications.push_receiver import BrowserKeys, PushReceiver, verify_vapid

pytestmark = pytest.mark.django_db


@pytest.fixture
def vapid(settings):
    private, public = vapid_pair_generate()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = private, public
    settings.VAPID_SUBJECT = "mailto:push-admin@example.com"
    settings.VAPID_DEV_KEY_FILE = None
    return public


@pytest.fixture
def receiver(settings, vapid):
    settings.PUSH_EXTRA_HOSTS = ["127.0.0.1"]  # the loopback push service (refused otherwise)
    with PushReceiver() as push_service:
        yield push_service


def subscribe(user, receiver, name):
    keys = BrowserKeys()
    sub = keys.subscription_json(receiver.endpoint(name))
    subscription_save(user=user, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"],
                      user_agent="Test browser")
    return keys


def note_for(user, **kwargs):
    kwargs.setdefault("kind", Notification.Kind.SYSTEM)
    kwargs.setdefault("title", "Hello")
    return Notification.objects.create(user=user, **kwargs)


def test_a_push_is_encrypted_for_the_subscription_and_signed_with_our_vapid_key(receiver, vapid):
    ann = person("instant")
    keys = subscribe(ann, receiver, "ann")
    note = note_for(ann, kind=Notification.Kind.EXPIRING, title="Your LinkedIn connection expires in 7 days",
                    body="LinkedIn connections last 60 days. " + "x" * 400, url=reverse("connect", args=["linkedin"]))

    report = push_notifications_send(notification_ids=[note.pk], claim_token="run-1")

    assert (report.sent, report.failed, report.gone) == (1, 0, 0)
    [message] = receiver.to("ann")
    payload = keys.payload(message.body)
    assert payload["title"] == "Your LinkedIn connection expires in 7 days"
    assert payload["url"] == reverse("connect", args=["linkedin"])
    assert payload["tag"] == f"n-{note.pk}"
    assert payload["body"].startswith("LinkedIn connections last 60 days. xxx") and len(payload["body"]) <= 240
    assert message.headers["content-encoding"] == "aes128gcm"
    assert int(message.headers["ttl"]) == 24 * 3600
    assert message.headers["urgency"] == "high"
    claims, k = verify_vapid(message.headers["authorization"], audience=receiver.origin)
    assert k == vapid
    assert claims["sub"] == "mailto:push-admin@example.com"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    sub = PushSubscription.objects.get(user=ann)
    assert sub.last_success_at is not None and sub.failures == 0


def test_another_key_cannot_read_the_message(receiver):
    ann = person("instant")
    subscribe(ann, receiver, "ann")
    push_notifications_send(notification_ids=[note_for(ann).pk], claim_token="run-1")
    with pytest.raises(Exception):  # noqa: B017 (AES-GCM's InvalidTag: another key, another content key)
        BrowserKeys().decrypt(receiver.to("ann")[0].body)


def test_the_auth_secret_is_encrypted_at_rest(receiver):
    ann = person("instant")
    keys = subscribe(ann, receiver, "ann")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT auth, p256dh FROM notifications_pushsubscription")
        stored_auth, stored_key = cursor.fetchone()
    from tests.notifications.push_receiver import b64

    assert b64(keys.auth) not in stored_auth
    assert stored_key == b64(keys.public_bytes)  # a public key: no secret
    assert PushSubscription.objects.get().auth == b64(keys.auth)


def test_a_notification_is_pushed_by_one_run_only_to_every_device(receiver):
    ann = person("instant")
    phone, laptop = subscribe(ann, receiver, "phone"), subscribe(ann, receiver, "laptop")
    note = note_for(ann)

    first = push_notifications_send(notification_ids=[note.pk], claim_token="run-1")
    second = push_notifications_send(notification_ids=[note.pk], claim_token="run-2")

    assert (first.sent, second.sent) == (2, 0)
    assert phone.payload(receiver.to("phone")[0].body)["title"] == "Hello"
    assert laptop.payload(receiver.to("laptop")[0].body)["title"] == "Hello"
    assert len(receiver.received) == 2


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_forgot_is_deleted(receiver, status):
    ann = person("instant")
    subscribe(ann, receiver, "gone")
    subscribe(ann, receiver, "kept")
    receiver.statuses["/push/gone"] = status

    report = push_notifications_send(notification_ids=[note_for(ann).pk], claim_token="run-1")

    assert (report.sent, report.gone) == (1, 1)
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [receiver.endpoint("kept")]


def test_a_busy_push_service_is_retried_and_a_refusal_is_not(receiver):
    ann = person("instant")
    subscribe(ann, receiver, "busy")
    subscribe(ann, receiver, "refuses")
    receiver.statuses.update({"/push/busy": 503, "/push/refuses": 403})
    note = note_for(ann)

    report = push_notifications_send(notification_ids=[note.pk], claim_token="run-1")

    busy = PushSubscription.objects.get(endpoint=receiver.endpoint("busy"))
    refuses = PushSubscription.objects.get(endpoint=receiver.endpoint("refuses"))
    assert (report.sent, report.failed) == (0, 2)
    assert report.retry == [[note.pk, busy.pk]]
    assert (busy.failures, refuses.failures) == (1, 1)
    assert refuses.last_error.startswith("HTTP 403")

    receiver.statuses["/push/busy"] = 201
    again = push_pairs_send(pairs=report.retry)
    assert again.sent == 1 and len(receiver.to("busy")) == 2 and len(receiver.to("refuses")) == 1
    busy.refresh_from_db()
    assert busy.failures == 0 and busy.last_success_at is not None


def test_a_subscription_that_keeps_failing_is_dropped(receiver, settings):
    settings.PUSH_MAX_FAILURES = 2
    ann = person("instant")
    subscribe(ann, receiver, "broken")
    receiver.statuses["/push/broken"] = 400
    push_notifications_send(notification_ids=[note_for(ann).pk], claim_token="run-1")
    assert PushSubscription.objects.get().failures == 1
    report = push_notifications_send(notification_ids=[note_for(ann, title="Again").pk], claim_token="run-2")
    assert report.gone == 1 and not PushSubscription.objects.exists()


def test_the_ssrf_policy_still_applies_to_a_stored_endpoint(receiver, settings):
    ann = person("instant")
    subscribe(ann, receiver, "ann")
    settings.PUSH_EXTRA_HOSTS = []  # loopback is no longer allowed: the endpoint is refused, nothing sent
    report = push_notifications_send(notification_ids=[note_for(ann).pk], claim_token="run-1")
    assert report.sent == 0 and receiver.received == []
    assert not PushSubscription.objects.exists()


def test_people_who_chose_no_notifications_or_left_get_no_push(receiver):
    quiet, gone = person("none"), person("instant", is_active=False)
    subscribe(quiet, receiver, "quiet")
    subscribe(gone, receiver, "gone")
    report = push_notifications_send(notification_ids=[note_for(quiet).pk, note_for(gone).pk], claim_token="r")
    assert report.sent == 0 and receiver.received == []


def test_without_vapid_keys_nothing_is_sent(receiver, settings):
    ann = person("instant")
    subscribe(ann, receiver, "ann")
    settings.VAPID_PRIVATE_KEY = ""
    assert push_send_task.run([note_for(ann).pk]) == {"sent": 0, "gone": 0, "failed": 0}
    assert receiver.received == []


def test_new_content_is_pushed_only_to_the_people_who_opted_in(receiver, sales, engineering,
                                                                 django_capture_on_commit_callbacks):
    instant, in_app = person("instant", team=sales), person("in_app", team=sales)
    weekly, none = person("weekly", team=sales), person("none", team=sales)
    no_push = person("instant", team=sales)
    other_team = person("instant", team=engineering)
    not_advocate = person("instant", team=sales, advocate_opted_in_at=None)
    keys = {p.pk: subscribe(p, receiver, str(p.pk)) for p in (instant, in_app, weekly, none, other_team, not_advocate)}
    item = ContentItemFactory(title="Our Q3 customer story", summary="How Acme cut costs by a third.",
                              target_everyone=False)
    item.target_teams.set([sales])

    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=approver())

    reached = {int(r.path.rsplit("/", 1)[1]) for r in receiver.received}
    assert reached == {instant.pk, in_app.pk}
    assert no_push.pk not in reached
    for pk in reached:
        [message] = receiver.to(str(pk))
        payload = keys[pk].payload(message.body)
        assert payload == {"title": "New to share: Our Q3 customer story", "body": "How Acme cut costs by a third.",
                           "url": f"/share/{item.pk}/", "tag": f"item-{item.pk}"}
        assert message.headers["urgency"] == "normal"


def test_an_expiring_connection_is_pushed_once(receiver, django_capture_on_commit_callbacks):
    ann = person("in_app")
    keys = subscribe(ann, receiver, "ann")
    SocialAccountFactory(user=ann, network="linkedin", refresh_token="",
                         connected_at=timezone.now() - timedelta(days=53),
                         expires_at=timezone.now() + timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        assert accounts_warn_expiring() == 1
    with django_capture_on_commit_callbacks(execute=True):
        accounts_warn_expiring()

    [message] = receiver.to("ann")
    payload = keys.payload(message.body)
    assert payload["title"] == "Your LinkedIn connection expires in 7 days"
    assert payload["url"] == reverse("connect", args=["linkedin"])


@pytest.mark.parametrize("endpoint, why", [
    ("http://fcm.googleapis.com/fcm/send/abc", "https"),
    ("https://evil.example.com/push/abc", "known push service"),
    ("https://fcm.googleapis.com.evil.example/abc", "known push service"),
    ("https://user:pw@fcm.googleapis.com/fcm/send/abc", "valid URL"),
    ("https://fcm.googleapis.com:8443/fcm/send/abc", "known push service"),
    ("not a url", "valid URL"),
])
def test_an_endpoint_outside_the_push_services_is_refused(vapid, endpoint, why):
    keys = BrowserKeys().subscription_json(endpoint)["keys"]
    with pytest.raises(SubscriptionInvalid, match=why):
        subscription_save(user=person(), endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"])
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("p256dh, auth", [
    ("BAAA", "AAAAAAAAAAAAAAAAAAAAAA"),  # too short
    ("B" + "A" * 86, "AAAAAAAAAAAAAAAAAAAAAA"),  # 65 bytes, not a point on P-256
    (None, "short"),  # a good key, a short auth secret
])
def test_bad_keys_are_refused(vapid, p256dh, auth):
    good = BrowserKeys().subscription_json("https://fcm.googleapis.com/fcm/send/abc")["keys"]
    with pytest.raises(SubscriptionInvalid, match="keys are not valid"):
        subscription_save(user=person(), endpoint="https://fcm.googleapis.com/fcm/send/abc",
                          p256dh=p256dh or good["p256dh"], auth=auth)
    assert not PushSubscription.objects.exists()


def test_an_endpoint_moves_to_whoever_subscribes_it_last(vapid):
    ann, bob = person(), person()
    keys = BrowserKeys().subscription_json("https://updates.push.services.mozilla.com/wpush/v2/abc")
    for who in (ann, bob):
        subscription_save(user=who, endpoint=keys["endpoint"], p256dh=keys["keys"]["p256dh"],
                          auth=keys["keys"]["auth"])
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [bob.pk]
