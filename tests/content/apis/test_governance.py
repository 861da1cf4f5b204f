"""Nothing reaches employees that an approver has not approved — through the API as through
the admin: a Curator's edit of a live item is a pending revision; an Approver approves it."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from content.models import ContentItem, ContentRevision, RevisionStatus, ShareText
from tests.content.apis.conftest import API, as_user, with_token
from tests.content.test_revisions import posted_share
from tests.factories import ContentItemFactory, TopicFactory, advocate, published_item

pytestmark = pytest.mark.django_db
ITEMS = f"{API}/items/"
REVISIONS = f"{API}/revisions/"


def feed_title(item: ContentItem) -> str:
    """The item's title in an advocate's feed (the API the employees' apps read)."""
    feed = as_user(advocate()).get("/api/v1/feed/").json()["results"]
    return next(i["title"] for i in feed if i["id"] == item.pk)


@pytest.mark.parametrize("status", ["published", "scheduled", "approved"])
def test_a_curators_edit_of_a_live_item_waits_for_an_approver(people, status):
    extra = {"published_at": timezone.now()} if status == "published" else {}
    if status == "scheduled":
        extra["publish_at"] = timezone.now() + timedelta(days=1)
    item = ContentItemFactory(status=status, title="Approved title", texts=[("linkedin", "Approved text")], **extra)
    topic = TopicFactory()
    curator = people["curator"]

    response = with_token(curator).patch(f"{ITEMS}{item.pk}/", {
        "title": "Curator's title", "topics": [topic.pk],
        "texts": [{"network": "linkedin", "text": "Curator's text"}],
    })

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["item"] == item.pk
    assert body["proposed"]["fields"] == {"title": "Curator's title"}
    assert body["proposed"]["m2m"] == {"topics": [topic.pk]}
    assert [t["text"] for t in body["proposed"]["texts"]] == ["Curator's text"]
    assert {row["field"] for row in body["changes"]} == {"title", "topics", "texts"}
    live = ContentItem.objects.get(pk=item.pk)
    assert (live.title, live.status, list(live.topics.all())) == ("Approved title", status, [])
    assert list(live.share_texts.values_list("text", flat=True)) == ["Approved text"]
    assert ContentRevision.objects.get(item=item, status=RevisionStatus.PENDING).proposed_by == curator
    assert live.changes.get(action="revision proposed").user == curator
    shown = as_user(curator).get(f"{ITEMS}{item.pk}/").json()
    assert shown["title"] == "Approved title" and shown["pending_revision"] == body["id"]
    if status == "published":
        assert feed_title(item) == "Approved title"


def test_an_approver_approves_and_the_change_goes_live(people):
    item = published_item(title="Approved title", texts=[("linkedin", "Approved text")])
    text_id = item.share_texts.get().pk
    with_token(people["curator"]).patch(f"{ITEMS}{item.pk}/", {"title": "Better title"})
    proposed = as_user(people["curator"]).post(f"{ITEMS}{item.pk}/texts/", {"network": "x", "text": "New tweet"})
    assert proposed.status_code == 202  # added to the same pending revision
    revision = ContentRevision.objects.get(item=item, status=RevisionStatus.PENDING)
    assert revision.data["fields"] == {"title": "Better title"} and len(revision.data["texts"]) == 2
    assert feed_title(item) == "Approved title"

    queue = as_user(people["approver"]).get(REVISIONS).json()["results"]
    assert [r["id"] for r in queue] == [revision.pk]
    approver = people["approver"]
    response = with_token(approver).post(f"{REVISIONS}{revision.pk}/approve/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved" and response.json()["decided_by"]["id"] == approver.pk
    live = ContentItem.objects.get(pk=item.pk)
    assert (live.title, live.status) == ("Better title", "published")
    assert sorted(live.share_texts.values_list("network", "text")) == [("linkedin", "Approved text"),
                                                                        ("x", "New tweet")]
    assert ShareText.objects.filter(pk=text_id).exists()  # shares point at it: kept
    assert feed_title(item) == "Better title"
    assert live.changes.get(action="revision approved").user == approver
    entry = LogEntry.objects.get(additional_data__event="revision approved", object_pk=str(item.pk))
    assert entry.actor == approver
    # Approving again is refused, and changes nothing more.
    again = with_token(approver).post(f"{REVISIONS}{revision.pk}/approve/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_pending"
    assert live.changes.filter(action="revision approved").count() == 1
    assert as_user(approver).get(REVISIONS).json()["results"] == []
    everything = as_user(approver).get(REVISIONS, {"status": "all"}).json()["results"]
    assert [r["status"] for r in everything] == ["approved", "replaced"]  # the texts were added to a new one


def test_an_approver_rejects_and_the_approved_version_stays(people):
    item = published_item(title="T0")
    revision = with_token(people["curator"]).patch(f"{ITEMS}{item.pk}/", {"title": "T1"}).json()
    response = as_user(people["approver"]).post(f"{REVISIONS}{revision['id']}/reject/", {"note": "Keep it"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["note"]) == ("rejected", "Keep it")
    assert ContentItem.objects.get(pk=item.pk).title == "T0"


def test_a_curator_cannot_decide_a_revision(people):
    item = published_item(title="T0")
    revision = with_token(people["curator"]).patch(f"{ITEMS}{item.pk}/", {"title": "T1"}).json()
    for decision in ("approve", "reject"):
        response = with_token(people["curator"]).post(f"{REVISIONS}{revision['id']}/{decision}/")
        assert response.status_code == 403
    assert ContentRevision.objects.get(pk=revision["id"]).status == RevisionStatus.PENDING
    assert ContentItem.objects.get(pk=item.pk).title == "T0"


def test_approving_a_revision_whose_link_now_has_posted_shares_needs_a_confirmation(people):
    item = published_item(title="T0")
    revision = as_user(people["curator"]).patch(f"{ITEMS}{item.pk}/", {"url": "https://elsewhere.example/new"}).json()
    posted_share(item)
    detail = as_user(people["approver"]).get(f"{REVISIONS}{revision['id']}/").json()
    assert detail["consequences"][0]["field"] == "url" and "1 posted link" in detail["consequences"][0]["message"]
    url = f"{REVISIONS}{revision['id']}/approve/"
    refused = as_user(people["approver"]).post(url)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "confirmation_required"
    assert ContentItem.objects.get(pk=item.pk).url == item.url
    assert as_user(people["approver"]).post(url, {"confirm_consequences": True}).status_code == 200
    assert ContentItem.objects.get(pk=item.pk).url == "https://elsewhere.example/new"


def test_an_approvers_edit_of_a_live_item_is_made_at_once(people):
    item = published_item(title="T0")
    response = as_user(people["approver"]).patch(f"{ITEMS}{item.pk}/", {"title": "T1"})
    assert response.status_code == 200 and response.json()["title"] == "T1"
    assert not ContentRevision.objects.exists() and feed_title(item) == "T1"


def test_an_edit_that_changes_nothing_proposes_nothing(people):
    item = published_item(title="T0")
    response = as_user(people["curator"]).patch(f"{ITEMS}{item.pk}/", {"title": "T0"})
    assert response.status_code == 200 and response.json()["pending_revision"] is None
    assert not ContentRevision.objects.exists()


@pytest.mark.parametrize("who", ["curator", "approver"])
def test_texts_of_a_live_item(people, who):
    item = published_item(texts=[("linkedin", "One"), ("linkedin", "Two")])
    one, two = item.share_texts.order_by("position")
    call = as_user(people[who])
    base = f"{ITEMS}{item.pk}/texts/"
    changed = call.patch(f"{base}{one.pk}/", {"text": "One, better"})
    removed = call.delete(f"{base}{two.pk}/")
    if who == "approver":
        assert (changed.status_code, removed.status_code) == (200, 204)
        assert list(item.share_texts.values_list("text", flat=True)) == ["One, better"]
        assert item.changes.filter(action="texts").count() == 2
    else:
        assert (changed.status_code, removed.status_code) == (202, 202)
        assert sorted(item.share_texts.values_list("text", flat=True)) == ["One", "Two"]  # live: unchanged
        revision = ContentRevision.objects.get(item=item, status=RevisionStatus.PENDING)
        assert [(t["id"], t["text"]) for t in revision.data["texts"]] == [(one.pk, "One, better")]
    assert [t["text"] for t in call.get(base).json()] == (
        ["One, better"] if who == "approver" else ["One", "Two"])


def test_a_text_too_long_for_x_is_refused_and_nothing_changes(people):
    item = ContentItemFactory(texts=[("x", "Short")])
    text = item.share_texts.get()
    response = as_user(people["curator"]).patch(f"{ITEMS}{item.pk}/texts/{text.pk}/", {"text": "a" * 300})
    assert response.status_code == 400
    assert "limit is 280" in response.json()["error"]["message"] and response.json()["error"]["field"] == "texts"
    assert ShareText.objects.get(pk=text.pk).text == "Short"


def test_texts_of_an_item_that_does_not_exist(people):
    response = as_user(people["curator"]).get(f"{ITEMS}999999/texts/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    other = ContentItemFactory()
    text_of_other = other.share_texts.first()
    item = ContentItemFactory()
    assert as_user(people["curator"]).get(f"{ITEMS}{item.pk}/texts/{text_of_other.pk}/").status_code == 404
