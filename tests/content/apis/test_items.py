"""Content items through the staff API: the admin's rules, services and audit trail."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.models import ComplianceSettings, ContentChange, ContentItem, ShareText
from tests.api_schema import assert_matches_schema
from tests.content.apis.conftest import API, as_user, with_token
from tests.content.test_revisions import posted_share
from tests.factories import CampaignFactory, ContentItemFactory, TeamFactory, TopicFactory, published_item

pytestmark = pytest.mark.django_db
ITEMS = f"{API}/items/"


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """The tasks enqueued (the link preview fetch), instead of sending them."""
    calls: list[tuple] = []
    monkeypatch.setattr("content.services.previews.enqueue", lambda name, *args, **kw: calls.append((name, *args)))
    return calls


def state() -> tuple:
    """Everything an API write could change in the library."""
    return (
        list(ContentItem.objects.order_by("pk").values_list("pk", "title", "url", "status", "updated_at")),
        list(ShareText.objects.order_by("pk").values_list("pk", "network", "text")),
        ContentChange.objects.count(),
    )


def test_a_link_typed_without_a_title_or_scheme_is_enough(people, queued):
    """The title is optional with a link (the fetched one is shown until a curator types one)."""
    response = with_token(people["curator"]).post(ITEMS, {"url": "news.example.com/untitled"})
    assert response.status_code == 201, response.json()
    item = ContentItem.objects.get(pk=response.json()["id"])
    assert (item.title, item.url) == ("", "https://news.example.com/untitled")
    assert queued == [("content.fetch_link_preview", item.pk, "https://news.example.com/untitled")]


def test_create_with_a_link_queues_the_preview_and_leaves_the_admins_trail(people, queued):
    curator = people["curator"]
    topic, campaign, team = TopicFactory(), CampaignFactory(), TeamFactory()
    response = with_token(curator).post(ITEMS, {
        "title": "Our report", "url": "https://news.example.com/report", "content_type": "industry_article",
        "topics": [topic.pk], "campaign": campaign.pk, "target_everyone": False, "target_teams": [team.pk],
        "target_locations": ["London", "Berlin"], "target_languages": ["de"],
        "texts": [{"network": "linkedin", "text": "A great read"}, {"network": "x", "text": "Read it"}],
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    item = ContentItem.objects.get(pk=body["id"])
    assert (item.status, item.created_by, item.campaign, item.preview_status) == ("draft", curator, campaign,
                                                                                  "pending")
    assert list(item.topics.all()) == [topic] and list(item.target_teams.all()) == [team]
    assert item.target_location_list == ["berlin", "london"] and item.target_language_list == ["de"]
    assert sorted(item.share_texts.values_list("network", "text")) == [("linkedin", "A great read"),
                                                                        ("x", "Read it")]
    assert body["status"] == "draft" and body["topics"] == [topic.pk] and len(body["texts"]) == 2
    # The preview is fetched in the background by the same task the admin queues.
    assert queued == [("content.fetch_link_preview", item.pk, "https://news.example.com/report")]
    # The history and the audit log name the token's owner, as they name the admin's user.
    assert item.changes.get(action="create").user == curator
    entry = LogEntry.objects.get(content_type__model="contentitem", object_pk=str(item.pk),
                                 action=LogEntry.Action.CREATE)
    assert entry.actor == curator


def test_a_text_post_queues_no_preview(people, queued):
    response = as_user(people["curator"]).post(ITEMS, {"title": "Just words"})
    assert response.status_code == 201
    assert queued == [] and response.json()["preview_status"] == "none"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "title", "Give a title, or a link to take the title from"),
        ({"title": "T", "url": "ftp://files.example.com/x"}, "url", ""),
        ({"title": "T", "allow_linkedin": False, "allow_x": False}, None, "Allow at least one network"),
        ({"title": "T", "target_everyone": False}, "target_everyone", "Target everyone, or choose"),
        ({"title": "T", "publish_at": "2030-01-02T10:00:00+00:00", "expires_at": "2030-01-01T10:00:00+00:00"},
         "expires_at", "expire after it is published"),
        ({"title": "T", "publish_at": "2030-01-02T10:00:00"}, "publish_at", "time zone offset"),
        ({"title": "T", "topics": [999999]}, "topics", "999999"),
        ({"title": "T", "campaign": 999999}, "campaign", ""),
        ({"title": "T", "content_type": "gossip"}, "content_type", ""),
        ({"title": "T", "texts": [{"network": "x", "text": "a" * 300}]}, "texts", "limit is 280"),
        ({"title": "T", "allow_x": False, "texts": [{"network": "x", "text": "Hi"}]}, "texts",
         "not allowed for this item"),
        ({"title": "T", "texts": [{"id": 1, "network": "x", "text": "Hi"}]}, "texts", "has no suggested text"),
    ],
)
def test_bad_input_is_one_clear_error_and_changes_nothing(people, queued, body, field, message):
    before = state()
    response = as_user(people["curator"]).post(ITEMS, body)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["field"] == field and message in error["message"], error
    assert state() == before and queued == []


def test_blocked_words_are_refused_in_texts(people):
    ComplianceSettings.objects.update_or_create(pk=1, defaults={"blocked_words": "guaranteed"})
    response = as_user(people["curator"]).post(ITEMS, {"title": "T", "texts": [
        {"network": "linkedin", "text": "Fine"}, {"network": "linkedin", "text": "Returns guaranteed!"}]})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Text 2 (LinkedIn): “guaranteed”")
    assert not ContentItem.objects.exists()


def test_edit_of_a_draft_is_made_with_history(people, queued):
    item = ContentItemFactory(title="T0", texts=[("linkedin", "Old")])
    text = item.share_texts.get()
    curator = people["curator"]
    response = as_user(curator).patch(f"{ITEMS}{item.pk}/", {
        "title": "T1", "url": "https://news.example.com/other",
        "texts": [{"id": text.pk, "network": "linkedin", "text": "New"}, {"network": "x", "text": "Tweet"}],
    })
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert (item.title, item.url) == ("T1", "https://news.example.com/other")
    assert ShareText.objects.get(pk=text.pk).text == "New" and item.share_texts.count() == 2
    edit = item.changes.get(action="edit")
    assert edit.user == curator and edit.changes["title"] == ["T0", "T1"]
    assert item.changes.get(action="texts").changes["suggested texts"][1] == ["linkedin: New", "x: Tweet"]
    assert queued == [("content.fetch_link_preview", item.pk, "https://news.example.com/other")]


def test_put_replaces_every_field(people):
    item = ContentItemFactory(title="T0", summary="S0", hashtags="#a", priority=5)
    response = as_user(people["curator"]).put(f"{ITEMS}{item.pk}/", {"title": "T1"})
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert (item.title, item.summary, item.hashtags, item.priority, item.url) == ("T1", "", "", 0, "")
    assert item.share_texts.count() == 2  # texts left out stay


def test_put_without_a_title_is_refused(people):
    item = ContentItemFactory(title="T0")
    response = as_user(people["curator"]).put(f"{ITEMS}{item.pk}/", {"summary": "S"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "title"
    assert ContentItem.objects.get(pk=item.pk).title == "T0"


def test_an_approvers_edit_with_consequences_needs_a_confirmation(people):
    item = published_item(title="T0")
    posted_share(item)
    approver = people["approver"]
    url = f"{ITEMS}{item.pk}/"
    response = with_token(approver).patch(url, {"url": "https://elsewhere.example/new"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("confirmation_required", "confirm_consequences")
    assert "1 posted link on employees' profiles will now point to https://elsewhere.example/new" in error["message"]
    assert ContentItem.objects.get(pk=item.pk).url == item.url

    response = with_token(approver).patch(url, {"url": "https://elsewhere.example/new", "confirm_consequences": True})
    assert response.status_code == 200, response.json()
    assert ContentItem.objects.get(pk=item.pk).url == "https://elsewhere.example/new"
    confirmed = item.changes.get(action="confirmed consequences")
    assert confirmed.user == approver and "1 posted link" in confirmed.note
    assert LogEntry.objects.get(additional_data__event="confirmed consequences", object_pk=str(item.pk)).actor == approver


def test_a_curator_cannot_make_a_change_with_consequences(people):
    item = published_item(title="T0", text_locked=True)
    response = as_user(people["curator"]).patch(f"{ITEMS}{item.pk}/", {"text_locked": False,
                                                                         "confirm_consequences": True})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "text_locked" and "Only an Approver can make this change" in error["message"]
    assert ContentItem.objects.get(pk=item.pk).text_locked
    assert not item.revisions.exists()


def test_published_or_shared_items_are_kept(people):
    admin = as_user(people["admin"])
    published, shared, draft = published_item(), ContentItemFactory(status="archived"), ContentItemFactory()
    posted_share(shared)
    for item in (published, shared):
        response = admin.delete(f"{ITEMS}{item.pk}/")
        assert response.status_code == 403 and response.json()["error"]["code"] == "protected"
    assert admin.delete(f"{ITEMS}{draft.pk}/").status_code == 204
    assert set(ContentItem.objects.values_list("pk", flat=True)) == {published.pk, shared.pk}
    assert LogEntry.objects.get(object_pk=str(draft.pk), content_type__model="contentitem",
                                action=LogEntry.Action.DELETE).actor == people["admin"]


def _library(n: int) -> None:
    topics, teams, campaign = [TopicFactory(), TopicFactory()], [TeamFactory()], CampaignFactory()
    for i in range(n):
        item = ContentItemFactory(campaign=campaign, status="published" if i % 2 else "draft")
        item.topics.set(topics)
        item.target_teams.set(teams)
        if i % 2:
            item.revisions.create(data={"fields": {"title": "x"}}, before={})


@pytest.mark.parametrize("caller", ["session", "token"])
def test_the_list_costs_the_same_queries_however_many_items(people, caller):
    user = people["curator"]
    call = as_user(user) if caller == "session" else with_token(user)
    call.get(ITEMS)  # the token's first use is recorded once
    _library(3)
    with CaptureQueriesContext(connection) as few:
        assert len(call.get(ITEMS).json()["results"]) == 3
    _library(12)
    with CaptureQueriesContext(connection) as many:
        body = call.get(ITEMS).json()
    assert len(body["results"]) == 15
    assert len(many) == len(few) <= 12, [q["sql"] for q in many.captured_queries]
    assert any(r["pending_revision"] for r in body["results"])


def test_filters_and_ordering(people):
    campaign, topic = CampaignFactory(), TopicFactory()
    a = ContentItemFactory(title="Cloud costs", campaign=campaign, allow_x=False)
    a.topics.add(topic)
    b = published_item(title="Hiring", content_type="job_opening", texts=[("linkedin", "Join our cloud team")])
    c = ContentItemFactory(title="Other", status="in_review", pinned=True)
    call = as_user(people["curator"])

    def ids(**params) -> list[int]:
        response = call.get(ITEMS, params)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(ordering="id") == [a.pk, b.pk, c.pk]
    assert ids(status=["draft", "in_review"]) == [c.pk, a.pk]
    assert ids(campaign=campaign.pk) == [a.pk] and ids(topic=topic.pk) == [a.pk]
    assert ids(network="x") == [c.pk, b.pk]
    assert ids(content_type="job_opening") == [b.pk] and ids(pinned="true") == [c.pk]
    assert ids(search="cloud") == [b.pk, a.pk]  # the title, or a suggested text
    response = call.get(ITEMS, {"status": "nonsense"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "status"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"url": "", "preview_image_url": "", "canonical_url": ""}, ("", "", "")),
    ({"url": "https://news.example.com/a", "preview_image_url": "https://cdn.example.com/a.png",
      "canonical_url": "https://news.example.com/a"},
     ("https://news.example.com/a", "https://cdn.example.com/a.png", "https://news.example.com/a")),
], ids=["a text post", "a link with its preview"])
def test_links_are_strings_empty_when_none_as_documented(people, fields, expected):
    """As in the advocate's API: "" when there is none, so the schema says a plain string
    (not `format: uri`, which "" is not)."""
    item = ContentItemFactory(**fields)
    call = as_user(people["curator"])
    response = call.get(f"{ITEMS}{item.pk}/")
    body = response.json()
    assert (body["url"], body["preview_image_url"], body["canonical_url"]) == expected
    assert_matches_schema(response, "GET", "/api/v1/content/items/{id}/")
    assert_matches_schema(call.get(ITEMS), "GET", "/api/v1/content/items/")


def test_scheduled_items_show_when(people):
    when = timezone.now() + timedelta(days=2)
    item = ContentItemFactory(status="scheduled", publish_at=when)
    body = as_user(people["approver"]).get(f"{ITEMS}{item.pk}/").json()
    assert body["status"] == "scheduled" and body["publish_at"].startswith(when.strftime("%Y-%m-%dT"))
