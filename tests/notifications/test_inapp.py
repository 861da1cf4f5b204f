"""The notification centre: badge, list, mark read, and what adds to it."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from content.services.suggestions import suggestion_accept, suggestion_create, suggestion_reject
from notifications.models import EmailDelivery, Notification
from notifications.services.inapp import notify
from tests.factories import curator
from tests.notifications.helpers import person

pytestmark = pytest.mark.django_db


def note(user, title="Something happened", url="/shares/", **kwargs):
    return Notification.objects.create(user=user, kind=kwargs.pop("kind", "system"), title=title, url=url, **kwargs)


def test_badge_shows_the_unread_count_with_one_query(client):
    ann = person()
    for i in range(3):
        note(ann, title=f"n{i}")
    note(ann, title="read", read_at=ann.date_joined)
    note(person(), title="someone else's")
    client.force_login(ann)
    page = client.get(reverse("my_shares")).content.decode()
    assert 'aria-label="Notifications, 3 unread"' in page and '<span class="badge" aria-hidden="true">3</span>' in page

    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("my_shares"))
    counts = [q for q in ctx.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0]["sql"]


def test_badge_caps_at_99(client):
    ann = person()
    Notification.objects.bulk_create([Notification(user=ann, kind="system", title=str(i)) for i in range(120)])
    client.force_login(ann)
    assert ">99+</span>" in client.get(reverse("notifications")).content.decode()


def test_list_open_marks_read_and_goes_to_the_target(client):
    ann = person()
    first = note(ann, title="Share failed", url="/shares/")
    evil = note(ann, title="Elsewhere", url="https://evil.example/phish")
    theirs = note(person(), title="Not yours")
    client.force_login(ann)
    page = client.get(reverse("notifications")).content.decode()
    assert "Share failed" in page and "Not yours" not in page

    response = client.post(reverse("notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/shares/"
    first.refresh_from_db()
    assert first.read_at is not None
    # Only links inside Chorus are followed.
    assert client.post(reverse("notification_open", args=[evil.pk]))["Location"] == reverse("notifications")
    assert client.post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notification_open", args=[first.pk])).status_code == 405


def test_mark_one_and_all_read(client):
    ann = person()
    a = note(ann)
    note(ann), note(ann)
    other = note(person())
    client.force_login(ann)
    client.post(reverse("notification_read", args=[a.pk]))
    assert Notification.objects.filter(user=ann, read_at__isnull=True).count() == 2
    client.post(reverse("notifications_read_all"))
    assert not Notification.objects.filter(user=ann, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None
    assert client.post(reverse("notification_read", args=[other.pk])).status_code == 404


def test_urgent_notifications_are_emailed_as_html_and_text_unless_unsubscribed():
    ann = person("instant")
    notify(user=ann, kind="reconnect", title="Reconnect your LinkedIn account",
           body="LinkedIn no longer accepts Chorus's connection.", url="/connections/linkedin/connect/", email=True)
    [message] = mail.outbox
    assert message.subject == "Reconnect your LinkedIn account"
    assert "http://testserver/connections/linkedin/connect/" in message.body
    assert "Reconnect" in message.alternatives[0][0]
    assert EmailDelivery.objects.get(user=ann).kind == "alert"

    quiet = person("in_app")
    notify(user=quiet, kind="reconnect", title="Reconnect", url="/connections/x/connect/", email=True)
    assert len(mail.outbox) == 1 and Notification.objects.filter(user=quiet).exists()


def test_suggestion_review_lands_in_the_notification_centre(django_capture_on_commit_callbacks):
    ann, bob = person(), person()
    with django_capture_on_commit_callbacks(execute=False):
        a = suggestion_create(user=ann, url="https://example.com/a")
        b = suggestion_create(user=bob, url="https://example.com/b")
    with django_capture_on_commit_callbacks(execute=True):
        suggestion_accept(suggestion=a, user=curator(), message="Great find!")
        suggestion_reject(suggestion=b, user=curator(), message="Off topic for us")
    accepted = Notification.objects.get(user=ann, kind="suggestion")
    rejected = Notification.objects.get(user=bob, kind="suggestion")
    assert accepted.title == "Your suggestion was accepted" and "Great find!" in accepted.body
    assert "wasn't taken up" in rejected.title and "Off topic for us" in rejected.body
