import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from content.models import ContentItem, ContentSuggestion
from content.services.suggestions import suggestion_accept, suggestion_create, suggestion_reject
from content.services.workflow import NotAllowed, WorkflowError
from content.signals import suggestion_reviewed
from tests.factories import UserFactory, advocate, curator

pytestmark = pytest.mark.django_db


def test_suggestion_becomes_a_draft_in_the_queue(django_capture_on_commit_callbacks):
    user = advocate()
    with django_capture_on_commit_callbacks(execute=False):
        suggestion = suggestion_create(user=user, url="https://example.com/great", note="Our customers love this")
    item = suggestion.item
    assert item.status == "draft" and item.url == "https://example.com/great" and item.created_by == user
    assert item.preview_status == "pending"


def test_bad_url_changes_nothing():
    with pytest.raises(ValidationError):
        suggestion_create(user=advocate(), url="javascript:alert(1)")
    assert ContentSuggestion.objects.count() == 0 and ContentItem.objects.count() == 0


def test_curator_accepts_or_rejects_with_a_message(django_capture_on_commit_callbacks):
    events = []
    suggestion_reviewed.connect(lambda sender, suggestion_id, **kw: events.append(suggestion_id),
                                dispatch_uid="t", weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=False):  # no preview fetch: no network in tests
            a = suggestion_create(user=advocate(), url="https://example.com/a")
            b = suggestion_create(user=advocate(), url="https://example.com/b")
        cur = curator()
        with django_capture_on_commit_callbacks(execute=True):
            suggestion_accept(suggestion=a, user=cur, message="Great find!")
            suggestion_reject(suggestion=b, user=cur, message="Off topic for us")
    finally:
        suggestion_reviewed.disconnect(dispatch_uid="t")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.response, a.reviewed_by) == ("accepted", "Great find!", cur)
    assert (b.status, b.item.status) == ("rejected", "archived")
    assert events == [a.pk, b.pk]
    with pytest.raises(WorkflowError):
        suggestion_accept(suggestion=b, user=cur)


def test_advocate_cannot_review(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        s = suggestion_create(user=advocate(), url="https://example.com/a")
    with pytest.raises(NotAllowed):
        suggestion_accept(suggestion=s, user=UserFactory())


def test_portal_page(client):
    client.force_login(advocate())
    response = client.post(reverse("suggest"), {"url": "ftp://example.com/x", "note": ""})
    assert response.status_code == 400 and ContentSuggestion.objects.count() == 0
    response = client.post(reverse("suggest"), {"url": "https://example.com/x", "note": "nice"})
    assert response.status_code == 302
    assert "Waiting for review" in client.get(reverse("suggest")).content.decode()
