"""Links typed without https://, and duplicates found whatever their spelling."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from content.models import ContentItem, ContentSuggestion, SuggestionStatus
from content.services.links import library_item_for_link, link_match_key
from content.services.suggestions import SuggestionMerge, suggestion_create, suggestion_merge_reason
from content.text_rules import link_with_scheme, validate_http_url
from tests.factories import ContentItemFactory, advocate, published_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed, stored", [
    ("example.com/post", "https://example.com/post"),
    ("  www.example.com/a?b=1 ", "https://www.example.com/a?b=1"),
    ("//example.com/x", "https://example.com/x"),
    ("example.com:8443/x", "https://example.com:8443/x"),
    ("http://example.com/x", "http://example.com/x"),  # a scheme typed is kept
    ("HTTPS://example.com/x", "HTTPS://example.com/x"),
])
def test_a_link_without_a_scheme_gets_https(typed, stored):
    assert link_with_scheme(typed) == stored
    assert validate_http_url(typed) == stored


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "mailto:a@example.com", "hello", "example .com/x", ""])
def test_what_is_not_a_web_link_is_still_refused(bad):
    with pytest.raises(ValidationError):
        validate_http_url(bad)


def test_the_library_item_form_accepts_a_link_without_scheme():
    item = ContentItemFactory.build(url="example.com/launch", title="Launch")
    item.full_clean(exclude=["created_by", "campaign", "image"])
    assert item.url == "https://example.com/launch"


def test_the_content_api_normalises_the_link(client):
    from tests.factories import curator

    client.force_login(curator())
    response = client.post("/api/v1/content/items/", {"title": "Launch", "url": "example.com/launch"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert ContentItem.objects.get(pk=response.json()["id"]).url == "https://example.com/launch"


@pytest.mark.parametrize("a, b", [
    ("https://Example.com/post/", "http://example.com/post"),
    ("example.com/post?utm_source=x&utm_medium=y", "https://www.example.com/post"),
    ("https://example.com/post?b=2&a=1#top", "https://EXAMPLE.com:443/post?a=1&b=2"),
])
def test_the_same_page_has_one_key(a, b):
    assert link_match_key(a) == link_match_key(b)


@pytest.mark.parametrize("a, b", [
    ("https://example.com/post", "https://example.com/Post"),  # paths are case-sensitive
    ("https://example.com/post?id=1", "https://example.com/post?id=2"),
    ("https://blog.example.com/post", "https://example.com/post"),
])
def test_different_pages_have_different_keys(a, b):
    assert link_match_key(a) != link_match_key(b)


def test_library_lookup_uses_the_link_and_the_pages_canonical_link():
    item = published_item(url="https://example.com/story/")
    ContentItemFactory(url="https://example.com/story", status="archived")  # archived: not "in the library"
    other = ContentItemFactory(url="https://news.example.org/x?id=9", canonical_url="https://example.com/canon")
    assert library_item_for_link("example.com/story?utm_campaign=z") == item
    assert library_item_for_link("http://www.example.com/canon") == other
    assert library_item_for_link("https://example.com/unknown") is None


def test_suggesting_a_link_already_suggested_merges(django_capture_on_commit_callbacks):
    ann, bob = advocate(), advocate()
    with django_capture_on_commit_callbacks(execute=False):
        first = suggestion_create(user=ann, url="https://example.com/great?utm_source=li")
        again = suggestion_create(user=bob, url="example.com/great/", note="Customers love it")
    assert first.status == SuggestionStatus.PENDING and first.url_key == "example.com/great"
    assert again.status == SuggestionStatus.MERGED and again.merged_into == first.item and again.item is None
    assert suggestion_merge_reason(again) == SuggestionMerge.ALREADY_SUGGESTED
    assert ContentItem.objects.count() == 1  # no second draft
    notes = list(first.item.changes.values_list("action", "note"))
    assert ("suggest", f"Suggested again by {bob.get_full_name()}: Customers love it") in notes


def test_suggesting_a_link_in_the_library_merges(django_capture_on_commit_callbacks):
    item = published_item(url="https://example.com/launch")
    suggestion = suggestion_create(user=advocate(), url="http://www.example.com/launch/")
    assert suggestion.status == SuggestionStatus.MERGED and suggestion.merged_into == item
    assert suggestion_merge_reason(suggestion) == SuggestionMerge.IN_LIBRARY
    assert ContentItem.objects.count() == 1


def test_a_link_whose_draft_was_rejected_can_be_suggested_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = suggestion_create(user=advocate(), url="https://example.com/old")
    ContentItem.objects.filter(pk=first.item_id).update(status="archived")
    with django_capture_on_commit_callbacks(execute=False):
        second = suggestion_create(user=advocate(), url="https://example.com/old")
    assert second.status == SuggestionStatus.PENDING and second.item_id != first.item_id


def test_the_suggest_page_says_what_happened(client, django_capture_on_commit_callbacks):
    published_item(url="https://example.com/launch")
    client.force_login(advocate())
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("suggest"), {"url": "example.com/launch"}, follow=True)
        assert "already in the library" in response.content.decode()
        response = client.post(reverse("suggest"), {"url": "example.com/new-one"}, follow=True)
    assert "will review your suggestion" in response.content.decode()
    assert ContentSuggestion.objects.get(status="pending").url == "https://example.com/new-one"
    response = client.post(reverse("suggest"), {"url": "javascript:alert(1)"})
    assert response.status_code == 400 and ContentSuggestion.objects.count() == 2
