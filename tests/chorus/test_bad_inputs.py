"""Every bad input gets a clean 4xx (or a recorded refusal) and nothing is stored.

Each of these used to end in a 500 or a stuck state; see the security issue, item 3.
NUL bytes matter most on PostgreSQL (which cannot store or compare them), so run this
file with DATABASE_URL set too.
"""

import json
import re
import time

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from django.urls import reverse

from advocacy.models import Share, SocialAccount
from advocacy.services.connections import SESSION_KEY
from analytics.models import Click
from content.admin.forms import ContentItemForm
from content.models import ContentItem, FeedSource, PreviewStatus
from content.services.feed_import import feed_import
from content.services.previews import content_fetch_preview
from content.services.workflow import content_publish
from core.middleware import BAD_REQUEST_MESSAGE, RejectNulBytesMiddleware, request_has_nul
from notifications.emails import EmailTemplate
from notifications.models import EmailDelivery
from notifications.services.digests import digest_chunk
from tests.factories import (
    ContentItemFactory,
    SocialAccountFactory,
    UserFactory,
    approver,
    curator,
    published_item,
)
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db

MIDDLEWARE = "core.middleware.RejectNulBytesMiddleware"


def with_nul_middleware():
    """The project's MIDDLEWARE with the guard right after WhiteNoise (where it belongs)."""
    stack = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    position = stack.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
    return override_settings(MIDDLEWARE=[*stack[:position], MIDDLEWARE, *stack[position:]])


def assert_bad_request(response):
    assert response.status_code == 400
    assert response.content.decode() == BAD_REQUEST_MESSAGE
    assert BAD_REQUEST_MESSAGE.startswith("Bad request")


def make_share(url: str) -> Share:
    item = published_item(url=url)
    account = SocialAccountFactory(network="linkedin")
    return Share.objects.create(
        user=account.user, item=item, network="linkedin", account=account, text="t", final_text="t",
        idempotency_key="k", status="posted",
    )


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee", timezone="Europe/Berlin")
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    client.user = user
    return user


@pytest.fixture
def bob(client):
    """An employee with no connections yet."""
    user = UserFactory(full_name="Bob Roe")
    client.force_login(user)
    return user


# --- NUL bytes: the middleware itself ------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda rf: rf.get("/r/abc\x00"),
        lambda rf: rf.get("/feed/", {"q": "a\x00b"}),
        lambda rf: rf.get("/feed/", {"q\x00": "x"}),
        lambda rf: rf.get("/feed/?q=a%00b"),
        lambda rf: rf.post("/share/1/", {"text_linkedin": "hi\x00"}),
        lambda rf: rf.post("/share/1/", "text_linkedin=hi%00", content_type="application/x-www-form-urlencoded"),
    ],
    ids=["path", "query-value", "query-key", "query-raw", "multipart-field", "urlencoded-field"],
)
def test_middleware_refuses_a_nul_anywhere(build):
    request = build(RequestFactory())
    assert request_has_nul(request)
    calls = []
    response = RejectNulBytesMiddleware(lambda r: calls.append(r))(request)
    assert_bad_request(response)
    assert calls == []  # the view never ran


@pytest.mark.parametrize(
    "build",
    [
        lambda rf: rf.get("/feed/", {"q": "café ☕"}),
        lambda rf: rf.post("/share/1/", {"text_linkedin": "fine"}),
        lambda rf: rf.post("/upload/", {"file": SimpleUploadedFile("a.png", b"\x00binary\x00")}),  # file content
        lambda rf: rf.post("/api/v1/shares/", json.dumps({"texts": {"linkedin": "x"}}),
                           content_type="application/json"),
    ],
    ids=["unicode-query", "form", "binary-upload", "json"],
)
def test_middleware_passes_clean_requests(build):
    request = build(RequestFactory())
    sentinel = object()
    assert RejectNulBytesMiddleware(lambda r: sentinel)(request) is sentinel


# --- NUL bytes through the client, with and without the middleware installed ------------


@pytest.mark.parametrize("installed", [True, False], ids=["middleware", "view-guard"])
def test_nul_in_a_tracked_link_code_is_400_and_no_click(client, installed):
    share = make_share("https://example.com/a")
    with with_nul_middleware() if installed else override_settings():
        response = client.get(f"/r/{share.link_code}%00")
    assert_bad_request(response)
    assert not Click.objects.exists()


@pytest.mark.parametrize("installed", [True, False], ids=["middleware", "view-guard"])
def test_nul_in_the_feed_search_is_400(client, ann, installed):
    published_item(title="ab")
    with with_nul_middleware() if installed else override_settings():
        response = client.get(reverse("home") + "?q=a%00b")
        assert client.get(reverse("home") + "?q=ab").status_code == 200  # the guard lets clean ones through
    assert_bad_request(response)


@pytest.mark.parametrize("installed", [True, False], ids=["middleware", "view-guard"])
def test_nul_in_the_share_dialog_post_is_400_and_nothing_shared(client, ann, installed,
                                                                django_capture_on_commit_callbacks):
    item = published_item()
    with with_nul_middleware() if installed else override_settings(), \
            django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("share_dialog", args=[item.pk]), {
            "networks": ["linkedin"], "text_linkedin": "My\x00words", "idempotency_key": "k", "when": "now",
        })
    assert_bad_request(response)
    assert not Share.objects.exists()


def test_nul_in_an_api_json_text_is_the_apis_400(client, ann):
    item = published_item()
    with with_nul_middleware():
        response = client.post("/api/v1/shares/", {
            "item": item.pk, "networks": ["linkedin"], "texts": {"linkedin": "My\x00words"}, "idempotency_key": "k",
        }, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "texts" and "Null characters" in error["message"]
    assert not Share.objects.exists()


# --- OAuth state ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    ["é" * 43, "☃", "", None, "x" * 100_000],
    ids=["non-ascii", "snowman", "empty", "missing", "overlong"],
)
def test_a_bad_oauth_state_gets_the_invalid_state_message_and_stores_nothing(client, bob, state):
    session = client.session
    session[SESSION_KEY] = {"linkedin": {"state": "s" * 43, "verifier": None, "at": time.time()}}
    session.save()
    params = {"code": "c"} if state is None else {"code": "c", "state": state}
    response = client.get(reverse("connect_callback", args=["linkedin"]), params)
    assert response.status_code == 302 and response["Location"] == reverse("connections")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("The answer from LinkedIn didn't match your connection attempt")
    assert not SocialAccount.objects.filter(user=bob).exists()
    assert client.session[SESSION_KEY] == {}  # the attempt is used up: a replay finds nothing


def test_a_nul_in_the_oauth_callback_is_400(client, bob):
    response = client.get(reverse("connect_callback", args=["linkedin"]) + "?code=c&state=a%00b")
    assert_bad_request(response)
    assert not SocialAccount.objects.filter(user=bob).exists()


def test_the_state_comparison_takes_any_text():
    from advocacy.services.connections import _state_matches

    assert _state_matches("abc", "abc") and not _state_matches("abc\udcff", "abc")
    assert not _state_matches("é", "e") and not _state_matches("", "") and not _state_matches("a" * 600, "a" * 600)


# --- API: impossible dates and deep JSON ------------------------------------------------


@pytest.mark.parametrize("when", ["2026-13-40T10:00:00Z", "2026-02-30T10:00:00+01:00", "2026-01-01T25:61:00Z",
                                  "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_api_impossible_scheduled_for_is_a_400_in_the_one_error_shape(client, ann, when):
    item = published_item()
    response = client.post("/api/v1/shares/", {
        "item": item.pk, "networks": ["linkedin"], "idempotency_key": "k", "scheduled_for": when,
    }, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "invalid", "field": "scheduled_for",
        "message": "This date or time does not exist; check the month, day and hour.",
    }}
    assert not Share.objects.exists()


@pytest.mark.parametrize("body", [
    "[" * 10_000 + "]" * 10_000,
    '{"item": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}",
], ids=["bare", "in-a-field"])
def test_api_deeply_nested_json_is_a_400_in_the_one_error_shape(client, ann, body):
    response = client.post("/api/v1/shares/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error == {"code": "parse_error", "field": None,
                     "message": "JSON parse error - the JSON is nested too deeply."}
    assert not Share.objects.exists()


# --- SSRF: IPv6 zone IDs ----------------------------------------------------------------


ZONE_URL = "http://[fe80::1%25eth0]/"


def test_link_preview_of_an_ipv6_zone_id_records_the_refusal():
    item = ContentItemFactory(url="https://example.com/a")
    ContentItem.objects.filter(pk=item.pk).update(url=ZONE_URL)  # as stored by older code
    item.refresh_from_db()
    content_fetch_preview(item=item, url=ZONE_URL)
    item.refresh_from_db()
    assert item.preview_status == PreviewStatus.FAILED
    assert "IPv6 zone ID" in item.preview_error and "only fetches public web pages" in item.preview_error


def test_feed_import_of_an_ipv6_zone_id_records_the_refusal():
    source = FeedSource.objects.create(name="Zone", url=ZONE_URL)
    result = feed_import(source=source)
    source.refresh_from_db()
    assert "IPv6 zone ID" in result.error and source.last_error == result.error
    assert source.last_polled_at is not None and source.next_poll_at is not None  # not stuck: polled again later
    assert not ContentItem.objects.filter(feed_source=source).exists()


# --- Titles that look like template slots or carry CR/LF --------------------------------


TRICKY_TITLE = "Hi\r\nBcc: victim@evil.example {{ name }} $name %(name)s CHORUS__SHARE_URL__SLOT CHORUS__NOPE__SLOT"


def test_new_content_email_with_a_tricky_title_renders_and_sends(django_capture_on_commit_callbacks):
    reader = person("instant", full_name="Ann Lee")
    item = ContentItemFactory(title=TRICKY_TITLE, summary="{% now 'Y' %} {{ first_name }}", target_everyone=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=approver())
    [email] = [m for m in mail.outbox if m.to == [reader.email]]
    assert "\r" not in email.subject and "\n" not in email.subject
    assert email.subject.startswith("New to share: Hi Bcc: victim@evil.example {{ name }} $name %(name)s")
    assert "Bcc" not in email.extra_headers and email.bcc == []
    text, html = email.body, email.alternatives[0][0]
    # The title is shown as written: not evaluated, not replaced by someone's signed link.
    assert "{{ name }} $name %(name)s CHORUS__SHARE_URL__SLOT CHORUS__NOPE__SLOT" in text
    assert "CHORUS__SHARE_URL__SLOT" in html and "{% now" in text
    assert text.count("/n/share/") == 1  # only the real share button carries the signed link
    assert EmailDelivery.objects.filter(user=reader, status="sent").count() == 1
    email.message().as_bytes()  # and the message serialises (no header injection error)


def test_weekly_digest_with_a_slot_like_title_shows_the_title_as_written():
    reader = person("weekly", full_name="Ann Lee", timezone="Europe/London")
    item_for(everyone=True, title="Read me CHORUS__SHARE_URL__SLOT now")
    mail.outbox.clear()
    report = digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[reader.pk], claim_token="t")
    assert report.sent == 1
    [email] = mail.outbox
    text, html = email.body, email.alternatives[0][0]
    assert "Read me CHORUS__SHARE_URL__SLOT now" in text and "Read me CHORUS__SHARE_URL__SLOT now" in html
    assert text.count("/n/share/") == 1  # the item's own Share-now link, not the title


def test_placeholders_cannot_be_guessed_from_content():
    template = EmailTemplate("new_content", {
        "item": ContentItemFactory(title="CHORUS__FIRST_NAME__SLOT"), "image_url": "", "summary": "",
        "preheader": "",
    }, subject="CHORUS__FIRST_NAME__SLOT\r\nX-Evil: 1", slots=("first_name", "share_url", "unsubscribe_url"))
    rendered = template.personalise({"first_name": "Ann\r\nBcc: x@evil.example", "share_url": "https://s/",
                                     "unsubscribe_url": "https://u/"})
    assert rendered.subject == "CHORUS__FIRST_NAME__SLOT X-Evil: 1"
    assert "CHORUS__FIRST_NAME__SLOT" in rendered.text  # the title, untouched
    assert re.search(r"CHORUS[0-9A-F]{16}__", rendered.text + rendered.html) is None  # every real slot filled


# --- Item URLs: http(s) only ------------------------------------------------------------


BAD_SCHEMES = ["ftp://example.com/file", "javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd",
               "https://user:pw@example.com/"]


@pytest.mark.parametrize("url", BAD_SCHEMES)
def test_model_refuses_non_http_item_urls(url):
    item = ContentItem(title="t", url=url)
    with pytest.raises(ValidationError) as info:
        item.full_clean()
    assert "url" in info.value.message_dict
    assert not ContentItem.objects.exists()


@pytest.mark.parametrize("url", BAD_SCHEMES)
def test_admin_form_refuses_non_http_item_urls(url):
    form = ContentItemForm(data={
        "title": "t", "url": url, "content_type": "industry_article", "target_everyone": "on", "priority": 0,
        "allow_linkedin": "on",
    })
    assert not form.is_valid()
    assert "url" in form.errors
    assert not ContentItem.objects.exists()


def test_admin_add_with_an_ftp_url_is_refused_and_nothing_stored(client):
    client.force_login(curator())
    data = {
        "title": "Report", "url": "ftp://example.com/report.pdf", "summary": "", "content_type": "industry_article",
        "hashtags": "", "target_everyone": "on", "priority": 0, "disclosure": "", "allow_linkedin": "on",
        "preview_title": "", "preview_description": "", "preview_image_url": "", "preview_site_name": "",
        "share_texts-TOTAL_FORMS": 0, "share_texts-INITIAL_FORMS": 0, "share_texts-MIN_NUM_FORMS": 0,
        "share_texts-MAX_NUM_FORMS": 1000, "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0,
        "changes-MIN_NUM_FORMS": 0, "changes-MAX_NUM_FORMS": 0,
    }
    response = client.post(reverse("admin:content_contentitem_add"), data)
    assert response.status_code == 200
    assert "Only http:// and https:// links are allowed." in response.content.decode()
    assert not ContentItem.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/file", "javascript:alert(1)", "data:text/html,hi",
                                 "//evil.example/", "https:///nohost"])
def test_tracked_link_only_redirects_to_http(client, url):
    share = make_share("https://example.com/a")
    ContentItem.objects.filter(pk=share.item_id).update(url=url)  # stored before validation existed
    response = client.get(f"/r/{share.link_code}")
    assert response.status_code == 404
    assert not Click.objects.exists()


# --- Admin "next" parameters ------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    admin = UserFactory(email="ops@example.com", is_superuser=True, is_staff=True, notification_preference="weekly")
    client.force_login(admin)
    return client


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_test_digest_next_must_be_same_site(admin_client, next_url):
    response = admin_client.post(reverse("admin:notifications_test_digest"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:notifications_emaildelivery_changelist")


def test_test_digest_next_same_site_path_is_kept(admin_client):
    response = admin_client.post(reverse("admin:notifications_test_digest"), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_content_transition_next_must_be_same_site(admin_client, next_url):
    item = ContentItemFactory()
    response = admin_client.post(reverse("admin:content_contentitem_transition", args=[item.pk, "nonsense"]),
                                 {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:content_contentitem_change", args=[item.pk])
