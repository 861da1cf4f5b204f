"""The webhooks admin: adding an endpoint (the SSRF guard on its URL, the secret shown
once), the "send test event" button, rotating the secret, the delivery log, the audit log,
and who may do any of it."""

import re

import pytest
from auditlog.models import LogEntry
from django.test import Client

from accounts.roles import ADMIN, ADVOCATE
from tests.factories import UserFactory, curator
from webhooks.models import SUBSCRIBABLE, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ADD = "/admin/webhooks/webhookendpoint/add/"


def add(client, url, events=SUBSCRIBABLE, **extra):
    return client.post(ADD, {"url": url, "description": "CRM", "events": list(events), "is_active": "on", **extra})


@pytest.fixture
def admin_role_client() -> Client:
    """A person with the Admin role (not a superuser), as the programme's IT owner is."""
    client = Client()
    client.force_login(UserFactory(roles=[ADMIN, ADVOCATE]))
    return client


def test_adding_an_endpoint_shows_its_secret_once(admin_client, receiver):
    response = add(admin_client, receiver.url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    [shown] = re.findall(r"whsec_[A-Za-z0-9+/=]+", page)
    assert shown == endpoint.secret and "only this once" in page
    assert endpoint.events == list(SUBSCRIBABLE) and endpoint.is_active
    change = admin_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in change and endpoint.masked_secret in change
    assert "Send test event" in change and "Rotate secret" in change


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:8000/hook", "loopback"),
    ("http://10.1.2.3/hook", "private network"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]/hook", "loopback"),
    ("ftp://example.com/hook", "only fetches http:// and https:// links"),
])
def test_a_private_or_odd_target_is_refused_with_a_clear_error(admin_client, settings, url, why):
    settings.FETCHER_ALLOWED_HOSTS = []
    response = add(admin_client, url)
    assert response.status_code == 200
    assert why in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_is_refused_for_public_hosts(admin_client, settings, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))])
    response = add(admin_client, "http://hooks.partner.test/hook")
    assert "Use an https:// address" in response.content.decode()
    assert add(admin_client, "https://hooks.partner.test/hook").status_code == 200  # the secret page
    assert WebhookEndpoint.objects.get().url == "https://hooks.partner.test/hook"


def test_the_test_event_button_sends_a_signed_test_event_to_that_endpoint_only(
        admin_role_client, receiver, endpoint, django_capture_on_commit_callbacks):
    other = WebhookEndpoint.objects.create(url=receiver.url + "/other", events=list(SUBSCRIBABLE), secret="whsec_AAAA")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_role_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/send-test/")
    assert response.status_code == 302
    assert response.url == f"/admin/webhooks/webhookdelivery/?endpoint__id__exact={endpoint.pk}&event__type=webhook.test"
    [hit] = receiver.hits
    assert hit.verified and hit.path == "/hooks/chorus"
    assert hit.payload["type"] == "webhook.test" and hit.payload["data"]["endpoint_id"] == endpoint.pk
    assert not WebhookDelivery.objects.filter(endpoint=other).exists()
    log = admin_role_client.get(response.url).content.decode()
    assert "Delivered" in log and "webhook.test" in log
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    detail = admin_role_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert delivery.event.webhook_id in detail and "200" in detail and "&quot;ok&quot;" in detail


def test_a_test_event_goes_to_a_disabled_endpoint_too(admin_client, receiver, endpoint,
                                                      django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/send-test/")
    assert [hit.payload["type"] for hit in receiver.hits] == ["webhook.test"]


def test_rotating_the_secret_shows_the_new_one_once_and_keeps_the_old_one_for_a_while(admin_client, endpoint):
    old = endpoint.secret
    response = admin_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    page = response.content.decode()
    assert endpoint.secret != old and endpoint.secret in page and old not in page
    assert endpoint.previous_secret == old and "previous secret too" in page
    assert admin_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/rotate-secret/").status_code == 405


def test_the_audit_log_masks_the_secrets(admin_client, endpoint):
    admin_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    entries = LogEntry.objects.filter(object_pk=str(endpoint.pk), content_type__app_label="webhooks")
    assert entries.count() == 2  # created, rotated
    text = " ".join(str(e.changes) for e in entries)
    assert endpoint.secret not in text and endpoint.previous_secret not in text and "••••••" in text


def test_the_delivery_log_filters_by_status_and_event_type(admin_client, receiver, endpoint,
                                                           django_capture_on_commit_callbacks):
    receiver.default = 500
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/send-test/")
    page = admin_client.get("/admin/webhooks/webhookdelivery/?status=pending&event__type=webhook.test").content
    assert b"The receiver answered HTTP 500." in page
    assert b"0 webhook deliveries" in admin_client.get("/admin/webhooks/webhookdelivery/?status=succeeded").content
    # "Send again" is for failed deliveries only.
    delivery = WebhookDelivery.objects.get()
    admin_client.post("/admin/webhooks/webhookdelivery/", {"action": "send_again", "_selected_action": [delivery.pk]})
    assert WebhookDelivery.objects.get().attempts == 1


def test_only_admins_manage_webhooks(receiver, endpoint, admin_role_client):
    staff = Client()
    staff.force_login(curator())
    assert staff.get("/admin/webhooks/webhookendpoint/").status_code == 403
    assert staff.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/send-test/").status_code == 403
    assert staff.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/rotate-secret/").status_code == 403
    assert staff.get("/admin/webhooks/webhookdelivery/").status_code == 403
    assert not WebhookDelivery.objects.exists()
    assert admin_role_client.get("/admin/webhooks/webhookendpoint/").status_code == 200
    assert admin_role_client.get("/admin/webhooks/webhookdelivery/").status_code == 200
