"""Emails built for real mail clients: tables, inlined CSS, no JS, alt texts, short lines,
and a plain-text part that reads on its own."""

import re

import pytest
from django.core import mail

from notifications.emails import short_lines
from notifications.models import Notification
from notifications.services.digests import digest_chunk
from notifications.services.fanout import fanout_chunk
from notifications.services.inapp import notify
from tests.factories import CampaignFactory
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(sales):
    ann = person("instant", team=sales, full_name="<Ann> O'Neil")
    campaign = CampaignFactory(name="Cloud <launch>", goal_shares=10)
    item = item_for(everyone=True, title="Frankfurt & Paris regions", campaign=campaign,
                    preview_image_url="https://cdn.example.com/frankfurt.png", summary="Two new regions.")
    fanout_chunk(item_id=item.pk, user_ids=[ann.pk], claim_token="n")
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="w")
    notify(user=ann, kind=Notification.Kind.EXPIRING, title="Your LinkedIn connection expires in 7 days",
           body="Reconnect now.", url="/connections/linkedin/connect/", email=True)
    assert len(mail.outbox) == 3
    return mail.outbox


def test_html_parts_are_mail_client_safe(messages):
    for message in messages:
        html = message.alternatives[0][0]
        assert "<script" not in html.lower() and "javascript:" not in html.lower()
        assert '<link rel="stylesheet"' not in html
        assert 'role="presentation"' in html  # table layout
        for img in re.findall(r"<img\b[^>]*>", html):
            assert re.search(r'\balt="[^"]+"', img), img
            assert "width=" in img
        # CSS is inlined: the button carries its own colours.
        assert re.search(r'<a class="button"[^>]*style="[^"]*background|bgcolor="#3b4cca"', html)
        assert "Unsubscribe" in html and "Email preferences" in html
        assert max(len(line.encode()) for line in html.splitlines()) < 998
        mime = message.message()
        encodings = {p.get("Content-Transfer-Encoding") for p in mime.walk() if not p.is_multipart()}
        assert encodings <= {"7bit", "8bit"}  # short lines: no quoted-printable blow-up


def test_user_and_item_text_is_escaped(messages):
    new_content, digest, _ = messages
    assert "Frankfurt &amp; Paris regions" in new_content.alternatives[0][0]
    assert "Hi &lt;Ann&gt;," in new_content.alternatives[0][0]  # a per-person value, filled in escaped
    assert "&lt;Ann&gt;" in digest.alternatives[0][0] and "<Ann>" not in digest.alternatives[0][0]
    assert "Cloud &lt;launch&gt;" in digest.alternatives[0][0]
    assert "Frankfurt & Paris regions" in new_content.body  # plain text is not HTML-escaped
    assert "Cloud <launch>" in digest.body


def test_plain_text_reads_on_its_own(messages):
    for message in messages:
        text = message.body
        assert not re.search(r"</?(p|a|td|table|div|span|br)\b", text), text
        assert "\n\n\n" not in text
        assert re.search(r"^Unsubscribe: http://testserver/n/unsubscribe/\S+/$", text, re.M)
        assert "Email preferences: http://testserver/accounts/me/preferences/" in text
    new_content, digest, alert = messages
    assert new_content.body.startswith("Hi <Ann>,")
    assert re.search(r"^1\. Frankfurt & Paris regions \[new\]$", digest.body, re.M)
    assert re.search(r"^   Share now: http://testserver/n/share/\S+/$", digest.body, re.M)
    assert "Reconnect now: http://testserver/connections/linkedin/connect/" in alert.body


def test_long_lines_are_broken_at_spaces_only():
    line = " ".join(f'<td style="color: red; padding: {i}px">word{i}</td>' for i in range(100))
    wrapped = short_lines(line, limit=120)
    assert max(len(x) for x in wrapped.splitlines()) <= 120
    assert wrapped.replace("\n", " ") == line
    assert short_lines("x" * 2000) == "x" * 2000  # nothing to break at: left alone
