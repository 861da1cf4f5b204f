"""Who may do what with the staff's content endpoints: exactly the admin's permissions.

Every endpoint × anonymous (401), an advocate (403), Curator, Approver, Admin, and a
read-only token (of an Admin: it may read, never write). A refusal changes nothing.
There are no per-person objects here (staff see the whole library), so no 404 column.
"""

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from content.models import Campaign, ContentItem, ContentRevision, ContentSuggestion, ShareText, Topic
from tests.content.apis.conftest import API, Caller, with_token
from tests.factories import CampaignFactory, ContentItemFactory, TopicFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db
STAFF = ("curator", "approver", "admin")


@pytest.fixture
def world(people) -> SimpleNamespace:
    w = SimpleNamespace()
    w.draft = ContentItemFactory(title="Draft")
    w.in_review = ContentItemFactory(title="In review", status="in_review")
    w.archived = ContentItemFactory(title="Archived", status="archived")
    w.published = published_item(title="Published")
    w.text = w.draft.share_texts.first()
    w.live_text = w.published.share_texts.first()
    w.revision = ContentRevision.objects.create(item=w.published, data={"fields": {"title": "Better"}, "m2m": {}},
                                                before={"fields": {"title": "Published"}, "m2m": {}},
                                                proposed_by=people["curator"])
    w.campaign, w.topic = CampaignFactory(), TopicFactory()
    w.suggestion = ContentSuggestion.objects.create(suggested_by=UserFactory(), url="https://example.com/tip")
    return w


def state() -> tuple:
    return (
        list(ContentItem.objects.order_by("pk").values_list("pk", "title", "status", "updated_at")),
        list(ShareText.objects.order_by("pk").values_list("pk", "text")),
        list(ContentRevision.objects.order_by("pk").values_list("pk", "status")),
        list(Campaign.objects.order_by("pk").values_list("pk", "name")),
        list(Topic.objects.order_by("pk").values_list("pk", "name")),
        list(ContentSuggestion.objects.order_by("pk").values_list("pk", "status")),
    )


def tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


def every(status: int) -> dict[str, int]:
    return dict.fromkeys(STAFF, status)


def roles(curator: int, approver: int, admin: int) -> dict[str, int]:
    return {"curator": curator, "approver": approver, "admin": admin}


# (method, path from the world, body, what each staff role gets)
Row = tuple[str, Callable[[SimpleNamespace], str], Callable[[SimpleNamespace], dict] | None, dict[str, int]]
I = f"{API}/items"  # noqa: E741
ENDPOINTS: dict[str, Row] = {
    "list items": ("GET", lambda w: f"{I}/", None, every(200)),
    "create an item": ("POST", lambda w: f"{I}/", lambda w: {"title": "New"}, every(201)),
    "read an item": ("GET", lambda w: f"{I}/{w.draft.pk}/", None, every(200)),
    "edit a draft": ("PATCH", lambda w: f"{I}/{w.draft.pk}/", lambda w: {"title": "T"}, every(200)),
    "replace a draft": ("PUT", lambda w: f"{I}/{w.draft.pk}/", lambda w: {"title": "T"}, every(200)),
    # A Curator's edit of a live item waits for an Approver (202, the revision).
    "edit a published item": ("PATCH", lambda w: f"{I}/{w.published.pk}/", lambda w: {"summary": "S"},
                              roles(202, 200, 200)),
    "delete a draft": ("DELETE", lambda w: f"{I}/{w.draft.pk}/", None, roles(403, 204, 204)),
    # Published or shared: kept, whoever asks.
    "delete a published item": ("DELETE", lambda w: f"{I}/{w.published.pk}/", None, every(403)),
    "submit": ("POST", lambda w: f"{I}/{w.draft.pk}/submit/", None, every(200)),
    "return to draft": ("POST", lambda w: f"{I}/{w.in_review.pk}/return-to-draft/", lambda w: {"note": "No"},
                        every(200)),
    "approve an item": ("POST", lambda w: f"{I}/{w.draft.pk}/approve/", None, roles(403, 200, 200)),
    "schedule": ("POST", lambda w: f"{I}/{w.draft.pk}/schedule/", lambda w: {"publish_at": tomorrow()},
                 roles(403, 200, 200)),
    "publish": ("POST", lambda w: f"{I}/{w.draft.pk}/publish/", None, roles(403, 200, 200)),
    "archive": ("POST", lambda w: f"{I}/{w.published.pk}/archive/", None, every(200)),
    "restore": ("POST", lambda w: f"{I}/{w.archived.pk}/restore/", None, every(200)),
    "duplicate": ("POST", lambda w: f"{I}/{w.draft.pk}/duplicate/", None, every(201)),
    "list texts": ("GET", lambda w: f"{I}/{w.draft.pk}/texts/", None, every(200)),
    "add a text": ("POST", lambda w: f"{I}/{w.draft.pk}/texts/", lambda w: {"network": "x", "text": "Hi"},
                   every(201)),
    "add a text to a published item": ("POST", lambda w: f"{I}/{w.published.pk}/texts/",
                                       lambda w: {"network": "x", "text": "Hi"}, roles(202, 201, 201)),
    "read a text": ("GET", lambda w: f"{I}/{w.draft.pk}/texts/{w.text.pk}/", None, every(200)),
    "change a text": ("PATCH", lambda w: f"{I}/{w.draft.pk}/texts/{w.text.pk}/", lambda w: {"text": "New"},
                      every(200)),
    "remove a text": ("DELETE", lambda w: f"{I}/{w.draft.pk}/texts/{w.text.pk}/", None, every(204)),
    "remove a text of a published item": ("DELETE", lambda w: f"{I}/{w.published.pk}/texts/{w.live_text.pk}/",
                                          None, roles(202, 204, 204)),
    "list revisions": ("GET", lambda w: f"{API}/revisions/", None, every(200)),
    "read a revision": ("GET", lambda w: f"{API}/revisions/{w.revision.pk}/", None, every(200)),
    "approve a revision": ("POST", lambda w: f"{API}/revisions/{w.revision.pk}/approve/", None,
                           roles(403, 200, 200)),
    "reject a revision": ("POST", lambda w: f"{API}/revisions/{w.revision.pk}/reject/", lambda w: {"note": "No"},
                          roles(403, 200, 200)),
    "list campaigns": ("GET", lambda w: f"{API}/campaigns/", None, every(200)),
    "create a campaign": ("POST", lambda w: f"{API}/campaigns/", lambda w: {"name": "C", "slug": "c-new"},
                          every(201)),
    "read a campaign": ("GET", lambda w: f"{API}/campaigns/{w.campaign.pk}/", None, every(200)),
    "edit a campaign": ("PATCH", lambda w: f"{API}/campaigns/{w.campaign.pk}/", lambda w: {"priority": 3},
                        every(200)),
    "delete a campaign": ("DELETE", lambda w: f"{API}/campaigns/{w.campaign.pk}/", None, roles(403, 204, 204)),
    "list topics": ("GET", lambda w: f"{API}/topics/", None, every(200)),
    "create a topic": ("POST", lambda w: f"{API}/topics/", lambda w: {"name": "New", "slug": "new"}, every(201)),
    "read a topic": ("GET", lambda w: f"{API}/topics/{w.topic.pk}/", None, every(200)),
    "edit a topic": ("PATCH", lambda w: f"{API}/topics/{w.topic.pk}/", lambda w: {"description": "D"}, every(200)),
    "delete a topic": ("DELETE", lambda w: f"{API}/topics/{w.topic.pk}/", None, roles(403, 403, 204)),
    "list suggestions": ("GET", lambda w: f"{API}/suggestions/", None, every(200)),
    "read a suggestion": ("GET", lambda w: f"{API}/suggestions/{w.suggestion.pk}/", None, every(200)),
    "accept a suggestion": ("POST", lambda w: f"{API}/suggestions/{w.suggestion.pk}/accept/", None, every(200)),
    "reject a suggestion": ("POST", lambda w: f"{API}/suggestions/{w.suggestion.pk}/reject/", None, every(200)),
}
WHO = ("anonymous", "advocate", *STAFF, "read-only token")


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permissions(people, world, endpoint, who):
    method, path, body, allowed = ENDPOINTS[endpoint]
    if who == "read-only token":
        call = with_token(people["admin"], scope="read")
        expected = allowed["admin"] if method == "GET" else 403
    else:
        call = Caller(people[who])
        expected = {"anonymous": 401, "advocate": 403}.get(who) or allowed[who]
    before = state()

    response = call(method, path(world), body(world) if body else None)

    assert response.status_code == expected, (endpoint, who, response.content[:500])
    if expected >= 400:
        assert state() == before, f"{endpoint} as {who} was refused but changed something"
        error = response.json()["error"]
        assert error["code"] and error["message"], error
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
