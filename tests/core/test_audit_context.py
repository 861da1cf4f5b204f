"""Entries written outside a request name no one, even after a request in the same thread."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from content.models import Topic
from core import audit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_entry_after_a_request_does_not_inherit_its_user(client):
    admin = UserFactory(roles=["Admin"])
    client.force_login(admin)
    assert client.post(reverse("admin:content_topic_add"), {"name": "Cloud", "slug": "cloud"}).status_code == 302
    topic = Topic.objects.get(slug="cloud")
    assert LogEntry.objects.get(object_pk=str(topic.pk), content_type__model="topic").actor == admin
    # Later, outside any request (a worker, beat): no actor.
    entry = audit.record(topic, event="expire")
    assert entry.actor is None and entry.remote_addr is None
    [bulk] = [audit.entry(topic, event="expire")]
    assert bulk.actor_id is None
