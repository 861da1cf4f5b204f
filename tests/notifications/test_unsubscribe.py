"""One-click unsubscribe (RFC 8058): no login, works once, cannot be forged."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from notifications.emails import unsubscribe_token
from notifications.models import EmailDelivery
from notifications.services.digests import digest_chunk
from notifications.services.inapp import wants_email
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def emailed(sales):
    """Ann, who got a weekly digest, and the message."""
    ann = person("instant", team=sales)
    item_for(everyone=True)
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")
    [message] = mail.outbox
    return ann, message


def link_of(message) -> str:
    return re.fullmatch(r"<http://testserver(/n/unsubscribe/[^>]+/)>", message.extra_headers["List-Unsubscribe"])[1]


def test_headers_and_visible_link_match(emailed):
    _, message = emailed
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link_of(message)
    assert f"http://testserver{path}" in message.body
    assert f'href="http://testserver{path}"' in message.alternatives[0][0]
    assert "Unsubscribe" in message.alternatives[0][0]


def test_one_click_post_without_login_or_csrf_works_once(emailed):
    ann, message = emailed
    client = Client(enforce_csrf_checks=True)  # a mail provider: no session, no CSRF token
    response = client.post(link_of(message), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"unsubscribed" in response.content
    ann.refresh_from_db()
    assert ann.notification_preference == "in_app" and not wants_email(ann)
    assert EmailDelivery.objects.get(user=ann).unsubscribed_at is not None

    # Ann turns email back on; the old link has been used and changes nothing now.
    User.objects.filter(pk=ann.pk).update(notification_preference="weekly")
    again = client.post(link_of(message), {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and b"Already done" in again.content
    ann.refresh_from_db()
    assert ann.notification_preference == "weekly"


def test_get_only_asks_for_confirmation(client, emailed):
    ann, message = emailed
    response = client.get(link_of(message))
    assert response.status_code == 200 and b"<form method=\"post\">" in response.content
    ann.refresh_from_db()
    assert ann.notification_preference == "instant"  # link scanners prefetching GETs change nothing


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered signature
    lambda token: token[:20],  # cut short
    lambda token: "nonsense",
])
def test_tampered_links_are_refused_and_change_nothing(client, emailed, mangle):
    ann, message = emailed
    token = link_of(message).split("/")[3]
    response = client.post(f"/n/unsubscribe/{mangle(token)}/")
    assert response.status_code == 400
    ann.refresh_from_db()
    assert ann.notification_preference == "instant"


def test_a_link_for_someone_elses_delivery_cannot_be_made(client, emailed, sales):
    ann, _ = emailed
    bob = person("instant", team=sales)
    bob_delivery = EmailDelivery.objects.create(user=bob, kind="alert", period="x", claim_token="x",
                                                claimed_at=ann.date_joined)
    # Signed with another salt (the Share-now links') it is not an unsubscribe link.
    from django.core import signing

    forged = signing.dumps({"d": bob_delivery.pk}, salt="chorus.notifications.share-link")
    assert client.post(f"/n/unsubscribe/{forged}/").status_code == 400
    assert client.post(f"/n/unsubscribe/{unsubscribe_token(bob_delivery.pk)}/").status_code == 200
    bob.refresh_from_db()
    ann.refresh_from_db()
    assert (ann.notification_preference, bob.notification_preference) == ("instant", "in_app")


def test_unsubscribed_people_get_no_more_email(emailed, sales):
    ann, message = emailed
    Client().post(link_of(message))
    mail.outbox.clear()
    item = item_for(everyone=True)
    from notifications.services.fanout import fanout_chunk

    fanout_chunk(item_id=item.pk, user_ids=[ann.pk], claim_token="n")
    digest_chunk(kind="weekly_digest", period="2025-W49", user_ids=[ann.pk], claim_token="w")
    assert mail.outbox == []
