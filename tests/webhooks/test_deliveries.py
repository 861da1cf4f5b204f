"""Delivering webhooks to a real receiver on loopback: Standard Webhooks signatures, one
send per delivery however many tasks run, retries on the backoff schedule (a fake clock:
``now=``), disabling with an email to the Admins, the SSRF guard at delivery time."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import ADMIN, ADVOCATE
from tests.factories import UserFactory
from webhooks import payloads
from webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries as deliveries_service
from webhooks.services.deliveries import (
    deliveries_due,
    deliveries_reclaim_stale,
    deliveries_resend,
    delivery_attempt,
)
from webhooks.services.endpoints import endpoint_create, endpoint_rotate_secret
from webhooks.services.events import NewEvent, events_record
from webhooks.tasks import deliver_task, sweep_task

pytestmark = pytest.mark.django_db


def record(data=None, *, event_type=EventType.TEST, endpoints=None):
    """One event to the given endpoints (or the subscribers), its tasks not run yet."""
    [event] = events_record(event_type=event_type, endpoints=endpoints,
                            entries=[NewEvent(data or {"n": 1}, timezone.now())])
    return event


def the_delivery(event) -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("endpoint", "event").get(event=event)


def test_a_delivery_is_signed_to_standard_webhooks_and_verifies_with_the_reference_library(receiver, endpoint):
    event = record({"hello": "world"}, endpoints=[endpoint])
    assert deliver_task.apply(args=[the_delivery(event).pk]).get() == "succeeded"

    [hit] = receiver.hits
    assert hit.verified and hit.path == "/hooks/chorus"
    assert hit.headers["webhook-id"] == event.webhook_id and event.webhook_id.startswith("evt_")
    assert hit.headers["webhook-signature"].startswith("v1,")
    assert hit.headers["content-type"] == "application/json"
    assert hit.payload == {"type": "webhook.test", "timestamp": hit.payload["timestamp"], "data": {"hello": "world"}}
    assert hit.body.decode() == event.body  # the stored text is exactly what was signed
    delivery = the_delivery(event)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200 and attempt.duration_ms is not None and '"ok"' in attempt.response_body
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).last_success_at is not None


def test_a_wrong_secret_fails_verification_at_the_receiver(receiver, endpoint):
    receiver.secrets = [endpoint_create(url=receiver.url, events=[]).secret]  # another endpoint's secret
    event = record(endpoints=[endpoint])
    delivery_attempt(delivery_id=the_delivery(event).pk)
    assert [hit.verified for hit in receiver.hits] == [False]
    assert the_delivery(event).last_status_code == 401


def test_two_tasks_for_one_delivery_send_once(receiver, endpoint, monkeypatch):
    event = record(endpoints=[endpoint])
    delivery_id = the_delivery(event).pk
    real_post = deliveries_service.post
    second: list = []

    def post_while_another_task_runs(*args, **kwargs):
        # The first task has claimed the row; a duplicate message for it arrives now.
        if not second:
            second.append(deliver_task.apply(args=[delivery_id]).get())
        return real_post(*args, **kwargs)

    monkeypatch.setattr(deliveries_service, "post", post_while_another_task_runs)
    assert deliver_task.apply(args=[delivery_id]).get() == "succeeded"
    assert second == [None]  # the duplicate found the row claimed and did nothing
    assert deliver_task.apply(args=[delivery_id]).get() is None  # and once delivered, nothing again
    assert len(receiver.hits) == 1
    assert the_delivery(event).attempts == 1


def test_a_failing_receiver_is_retried_on_the_backoff_schedule_then_disabled_and_admins_emailed(
        receiver, endpoint, settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS, settings.WEBHOOKS_RETRY_CAP_SECONDS = 30, 3600
    settings.WEBHOOKS_MAX_ATTEMPTS = 6
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOKS_DISABLE_AFTER_HOURS = 0.05  # and failing for at least 3 minutes
    admin = UserFactory(roles=[ADMIN, ADVOCATE], email="it@example.com")
    UserFactory(roles=[ADVOCATE], email="someone@example.com")
    receiver.default = 500
    event = record(event_type=EventType.SHARE_FAILED, endpoints=[endpoint])
    delivery_id = the_delivery(event).pk
    now = timezone.now()
    waits = []
    for attempt in range(1, 5):
        outcome = delivery_attempt(delivery_id=delivery_id, now=now)
        delivery = the_delivery(event)
        assert delivery.attempts == attempt and delivery.last_status_code == 500
        assert delivery_attempt(delivery_id=delivery_id, now=now) is None  # not due again yet
        if attempt < 4:
            assert outcome.status == "pending" and delivery.status == "pending"
            assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active, f"disabled after attempt {attempt}"
            wait = (delivery.next_attempt_at - now).total_seconds()
            assert outcome.retry_in == pytest.approx(wait, abs=0.01)
            waits.append(wait)
            now = delivery.next_attempt_at  # the fake clock moves to the retry
    # 30 s, 60 s, 120 s, each up to a fifth later (jitter).
    for wait, base in zip(waits, (30, 60, 120), strict=True):
        assert base <= wait <= base * 1.2
    # Attempt 3 made the third failure in a row but within 3 minutes; attempt 4 disabled it.
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.consecutive_failures == 4
    assert "4 attempts in a row failed" in endpoint.disabled_reason
    [email] = mail.outbox
    assert email.to == [admin.email] and "disabled" in email.subject and endpoint.display_url in email.body
    assert endpoint.secret not in email.body
    assert len(receiver.hits) == 4 and all(hit.verified for hit in receiver.hits)
    assert [a.status_code for a in the_delivery(event).attempt_log.all()] == [500, 500, 500, 500]

    # Off: the delivery waits, the sweep leaves it alone...
    later = now + timedelta(hours=2)
    assert deliveries_due(now=later) == []
    assert delivery_attempt(delivery_id=delivery_id, now=later).status == "paused"
    assert the_delivery(event).attempts == 4
    # ... and an Admin turning it back on (after fixing the receiver) lets it go out.
    receiver.default = 200
    endpoint.is_active = True
    endpoint.save()
    assert deliveries_due(now=later) == [delivery_id]
    assert delivery_attempt(delivery_id=delivery_id, now=later).status == "succeeded"
    assert len(mail.outbox) == 1


def test_a_delivery_gives_up_after_the_last_attempt(receiver, endpoint, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    receiver.default = 503
    event = record(endpoints=[endpoint])
    delivery_id = the_delivery(event).pk
    first = delivery_attempt(delivery_id=delivery_id)
    last = delivery_attempt(delivery_id=delivery_id, now=the_delivery(event).next_attempt_at)
    assert (first.status, last.status, last.retry_in) == ("pending", "failed", None)
    assert the_delivery(event).next_attempt_at is None and len(receiver.hits) == 2
    # "Send again" from the delivery log: a fresh set of attempts, the same webhook-id.
    assert deliveries_resend(delivery_ids=[delivery_id]) == 1
    receiver.default = 200
    assert delivery_attempt(delivery_id=delivery_id).status == "succeeded"
    assert {hit.headers["webhook-id"] for hit in receiver.hits} == {event.webhook_id}
    assert [a.number for a in the_delivery(event).attempt_log.all()] == [1, 2, 3]


def test_retry_after_is_honoured_and_410_gone_disables_at_once(receiver, endpoint, settings):
    receiver.script = [429]
    receiver.extra_headers = {"Retry-After": "900"}
    event = record(endpoints=[endpoint])
    delivery_id = the_delivery(event).pk
    assert delivery_attempt(delivery_id=delivery_id).retry_in == 900
    receiver.script, receiver.extra_headers = [410], {}
    assert delivery_attempt(delivery_id=delivery_id, now=the_delivery(event).next_attempt_at).status == "failed"
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason


def test_the_task_queues_a_near_retry_and_the_sweep_sends_one_whose_message_was_lost(receiver, endpoint):
    receiver.script = [500]
    event = record(endpoints=[endpoint])
    delivery_id = the_delivery(event).pk
    # Eager tasks run the queued retry at once: it is not due, so it does nothing.
    assert deliver_task.apply(args=[delivery_id]).get() == "pending"
    assert len(receiver.hits) == 1
    # The retry's message is lost; once it is a minute overdue the sweep sends it.
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert sweep_task.apply().get() == 1
    assert the_delivery(event).status == "succeeded" and len(receiver.hits) == 2


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_again_with_the_same_webhook_id(receiver, endpoint, settings):
    event = record(endpoints=[endpoint])
    delivery_id = the_delivery(event).pk
    claimed = timezone.now() - timedelta(seconds=settings.WEBHOOKS_STALE_SENDING_SECONDS + 60)
    WebhookDelivery.objects.filter(pk=delivery_id).update(status="sending", claim_token="dead", claimed_at=claimed,
                                                          attempts=1)
    assert deliver_task.apply(args=[delivery_id]).get() is None  # a redelivered task does not send it
    assert deliveries_reclaim_stale(now=claimed + timedelta(seconds=60)) == 0  # not stale yet
    assert deliveries_reclaim_stale() == 1
    assert deliveries_reclaim_stale() == 0
    delivery = the_delivery(event)
    assert delivery.status == "pending" and "worker stopped" in delivery.last_error
    assert delivery_attempt(delivery_id=delivery_id).status == "succeeded"
    [hit] = receiver.hits
    assert hit.headers["webhook-id"] == event.webhook_id  # receivers drop it if they had it
    assert [a.error != "" for a in the_delivery(event).attempt_log.all()] == [True, False]


def test_a_private_target_is_refused_at_delivery_time(receiver, endpoint, settings):
    settings.FETCHER_ALLOWED_HOSTS = []  # loopback is not allowed here
    event = record(endpoints=[endpoint])
    outcome = delivery_attempt(delivery_id=the_delivery(event).pk)
    assert outcome.status == "pending" and receiver.hits == []
    delivery = the_delivery(event)
    assert delivery.last_status_code is None and "loopback" in delivery.last_error
    assert "loopback" in delivery.attempt_log.get().error
    with pytest.raises(ValidationError, match="loopback"):  # and it could not be saved now
        endpoint_create(url=receiver.url, events=[EventType.TEST])


def test_dns_rebinding_after_the_endpoint_was_saved_is_refused(receiver, settings, monkeypatch):
    """The name resolved to a public address when the endpoint was saved; now it leads to
    this server. The delivery connects to nothing."""
    settings.FETCHER_ALLOWED_HOSTS = []
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    answers = {"hooks.partner.test": "93.184.216.34"}
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], args[0] if args else port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    from webhooks.services.endpoints import endpoint_url_problem

    url = f"https://hooks.partner.test:{port}/hooks/chorus"
    assert endpoint_url_problem(url) is None  # public when saved
    rebound = endpoint_create(url=url, events=[EventType.TEST])
    receiver.secrets = [rebound.secret]
    answers["hooks.partner.test"] = "127.0.0.1"
    event = record(endpoints=[rebound])
    delivery_attempt(delivery_id=the_delivery(event).pk)
    assert receiver.hits == []
    assert "leads to 127.0.0.1" in the_delivery(event).last_error


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(receiver, endpoint, settings):
    old = endpoint.secret
    new = endpoint_rotate_secret(endpoint=endpoint)
    assert new != old and new.startswith("whsec_")
    for secrets in ([old], [new]):  # a receiver with either secret accepts the delivery
        receiver.secrets = secrets
        event = record(endpoints=[endpoint])
        delivery_attempt(delivery_id=the_delivery(event).pk)
        assert receiver.hits[-1].verified
        assert len(receiver.hits[-1].headers["webhook-signature"].split(" ")) == 2
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    receiver.secrets = [old]
    event = record(endpoints=[WebhookEndpoint.objects.get(pk=endpoint.pk)])
    delivery_attempt(delivery_id=the_delivery(event).pk)
    assert not receiver.hits[-1].verified


def test_an_event_body_is_json_with_type_timestamp_and_data():
    from datetime import UTC, datetime

    body = payloads.build_body(event_type="share.posted", occurred_at=datetime(2025, 11, 25, 9, 30, tzinfo=UTC),
                               data={"share": {"id": 7}})
    assert body == '{"type":"share.posted","timestamp":"2025-11-25T09:30:00+00:00","data":{"share":{"id":7}}}'


def test_deliveries_are_unique_per_endpoint_and_event(receiver, endpoint):
    from django.db import IntegrityError, transaction

    event = record(endpoints=[endpoint])
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(endpoint=endpoint, event=event)
    assert DeliveryStatus.PENDING == the_delivery(event).status
