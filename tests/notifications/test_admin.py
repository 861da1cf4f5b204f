"""Admin tools: the development Outbox, test digests, previews, the delivery log, Slack."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import EmailDelivery, TeamSlackWebhook
from notifications.outbox import outbox_list
from notifications.services.fanout import fanout_chunk
from tests.factories import UserFactory
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(email="ops@example.com", full_name="Olive Ops", is_superuser=True, is_staff=True,
                        notification_preference="weekly")
    client.force_login(admin)
    client.admin = admin
    return client


def assert_email_document(response, text: str) -> None:
    """An email's HTML served alone, under its own policy: inline styles, nothing that runs."""
    assert response.status_code == 200 and text in response.content.decode()
    assert 'style="' in response.content.decode()  # css-inline's styles, which this policy allows
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["style-src"] == "'unsafe-inline'" and policy["script-src"] == "'none'"
    assert policy["default-src"] == "'none'" and policy["form-action"] == "'none'"
    assert policy["frame-ancestors"] == "'self'" and policy["sandbox"] == "allow-popups allow-popups-to-escape-sandbox"
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.fixture
def mail_folder(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def test_outbox_lists_and_renders_what_employees_received(admin_client, mail_folder, sales):
    ann, bob = person("instant", team=sales), person("instant", team=sales)
    item = item_for(teams=[sales], title="Frankfurt region <now> open")
    fanout_chunk(item_id=item.pk, user_ids=[ann.pk, bob.pk], claim_token="t")
    assert len(list(mail_folder.glob("*.log"))) == 1  # one connection per chunk, two messages

    entries = outbox_list()
    assert sorted(e.to for e in entries) == sorted([ann.email, bob.email])
    assert "in your own words — or skip it" in entries[0].text  # 8bit UTF-8 read back as such
    assert "in your own words — or skip it" in entries[0].html
    page = admin_client.get(reverse("admin:notifications_outboxmessage_changelist")).content.decode()
    assert "New to share: Frankfurt region &lt;now&gt; open" in page and ann.email in page

    entry = next(e for e in entries if e.to == ann.email)
    detail = admin_client.get(reverse("admin:notifications_outbox_message", args=[entry.key]))
    html = detail.content.decode()
    assert detail.status_code == 200
    html_url = reverse("admin:notifications_outbox_message_html", args=[entry.key])
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html and f'src="{html_url}"' in html
    assert "Share now (opens Chorus" in html  # the plain-text part
    assert "List-Unsubscribe-Post" in html
    assert_email_document(admin_client.get(html_url), "in your own words — or skip it")


@pytest.mark.parametrize("key", ["..%2F..%2Fetc%2Fpasswd:0", "..:0", "x.txt:0", "missing.log:0", "a.log:x"])
def test_outbox_only_reads_its_own_folder(admin_client, mail_folder, key):
    (mail_folder.parent / "secret.log").write_text("Subject: secret\n\nsecret")
    for name in (key, "..%2Fsecret.log:0"):
        assert admin_client.get(f"/admin/notifications/outboxmessage/message/{name}/").status_code == 404
        assert admin_client.get(f"/admin/notifications/outboxmessage/message/{name}/html/").status_code == 404


def test_outbox_needs_staff(client, mail_folder):
    client.force_login(person())
    for url in (
        reverse("admin:notifications_outboxmessage_changelist"),
        reverse("admin:notifications_outbox_message_html", args=["x.log:0"]),
        reverse("admin:notifications_digest_preview_html") + "?email=a@example.com&kind=weekly_digest",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_send_me_a_test_digest(admin_client, mail_folder):
    item_for(everyone=True, title="Worth sharing today")
    response = admin_client.post(reverse("admin:notifications_test_digest"), follow=True)
    assert "Test digest sent to ops@example.com" in response.content.decode()
    [entry] = outbox_list()
    assert entry.subject.startswith("[Test] Your week in Chorus") and entry.to == "ops@example.com"
    assert "Worth sharing today" in entry.text
    # Test digests don't use up the weekly one, and can be sent again.
    admin_client.post(reverse("admin:notifications_test_digest"))
    assert EmailDelivery.objects.filter(kind="test_digest", status="sent").count() == 2
    assert not EmailDelivery.objects.filter(kind="weekly_digest").exists()


def test_preview_a_digest_and_a_new_content_email_for_someone(admin_client, sales):
    ann = person("weekly", team=sales, full_name="Ann Advocate")
    item = item_for(teams=[sales], title="For sales only")
    url = reverse("admin:notifications_digest_preview")
    query = {"email": ann.email, "kind": "weekly_digest"}
    page = admin_client.get(url, query).content.decode()
    html_url = reverse("admin:notifications_digest_preview_html")
    assert "For sales only" in page and f'src="{html_url}?email=' in page
    assert_email_document(admin_client.get(html_url, query), "For sales only")
    query = {"email": ann.email, "kind": "new_content", "item": item.pk}
    page = admin_client.get(url, query).content.decode()
    assert "New to share: For sales only" in page
    assert_email_document(admin_client.get(html_url, query), "For sales only")
    assert admin_client.get(html_url, {"email": "nobody@example.com", "kind": "weekly_digest"}).status_code == 404
    assert "No employee has this email address" in admin_client.get(
        url, {"email": "nobody@example.com", "kind": "weekly_digest"}
    ).content.decode()
    assert mail.outbox == [] and not EmailDelivery.objects.exists()


def test_delivery_log_filters(admin_client, sales):
    ann = person("instant", team=sales)
    fanout_chunk(item_id=item_for(everyone=True).pk, user_ids=[ann.pk], claim_token="t")
    url = reverse("admin:notifications_emaildelivery_changelist")
    assert ann.email in admin_client.get(url, {"kind__exact": "new_content", "status__exact": "sent"}).content.decode()
    assert ann.email not in admin_client.get(url, {"status__exact": "failed"}).content.decode()
    page = admin_client.get(url).content.decode()
    assert "Send me a test digest" in page and "Preview an email" in page and "Outbox" in page


def test_slack_webhook_admin_validates_and_never_shows_the_url(admin_client, sales):
    add = reverse("admin:notifications_teamslackwebhook_add")
    bad = admin_client.post(add, {"team": sales.pk, "url": "https://example.com/hook", "is_active": "on"})
    assert "hooks.slack.com/services/" in bad.content.decode() and not TeamSlackWebhook.objects.exists()
    admin_client.post(add, {"team": sales.pk, "url": "https://hooks.slack.com/services/T1/B1/s3cr3tvalue",
                            "is_active": "on"})
    webhook = TeamSlackWebhook.objects.get()
    change = reverse("admin:notifications_teamslackwebhook_change", args=[webhook.pk])
    assert "s3cr3tvalue" not in admin_client.get(change).content.decode()
    # Saving without a new URL keeps the old one.
    admin_client.post(change, {"team": sales.pk, "url": "", "is_active": ""})
    webhook.refresh_from_db()
    assert webhook.url.endswith("s3cr3tvalue") and not webhook.is_active
