import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.models import Share
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    user = UserFactory()
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    client.user = user
    return client


def test_requires_login(client):
    response = client.get("/api/v1/feed/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_feed_with_bounded_queries(api):
    for n in range(30):
        published_item(title=f"Item {n}")
    with CaptureQueriesContext(connection) as ctx:
        body = api.get("/api/v1/feed/?page_size=30").json()
    assert len(body["results"]) == 30 and body["next"] is None and body["previous"] is None
    assert set(body["results"][0]["suggested_text"]) == {"linkedin", "x"}
    assert len(ctx.captured_queries) <= 8


def test_create_share_is_idempotent_and_uses_the_same_rules(api, django_capture_on_commit_callbacks):
    item = published_item()
    payload = {"item": item.pk, "networks": ["linkedin"], "texts": {"linkedin": "Mine"}, "idempotency_key": "a1"}
    with django_capture_on_commit_callbacks(execute=False):
        first = api.post("/api/v1/shares/", payload, content_type="application/json")
        again = api.post("/api/v1/shares/", payload, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()[0]["id"] == again.json()[0]["id"] and Share.objects.count() == 1
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert len(api.get("/api/v1/shares/").json()["results"]) == 1


ITEM = "the published item"


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"networks": ["linkedin"], "idempotency_key": "k"}, 400, "invalid", "item"),
        ({"item": ITEM, "networks": ["myspace"], "idempotency_key": "k"}, 400, "invalid", "networks"),
        ({"item": 999999, "networks": ["linkedin"], "idempotency_key": "k"}, 404, "not_found", "item"),
        ({"item": ITEM, "networks": ["x"], "idempotency_key": "k"}, 400, "share_refused", "x"),
        ({"item": ITEM, "networks": ["linkedin"], "idempotency_key": "k", "texts": {"linkedin": "a" * 3100}},
         400, "share_refused", "linkedin"),
        ({"item": ITEM, "networks": ["linkedin"], "idempotency_key": "k", "scheduled_for": "tomorrow"},
         400, "invalid", "scheduled_for"),
    ],
)
def test_bad_input_gets_one_clear_error_and_changes_nothing(api, payload, status, code, field):
    item = published_item()
    payload = {k: (item.pk if v == ITEM else v) for k, v in payload.items()}
    response = api.post("/api/v1/shares/", payload, content_type="application/json")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code and error["field"] == field and error["message"]
    assert Share.objects.count() == 0


def share(api, item, key, **extra):
    payload = {"item": item.pk, "networks": ["linkedin"], "idempotency_key": key, **extra}
    return api.post("/api/v1/shares/", payload, content_type="application/json")


def test_a_recent_share_needs_share_again(api, django_capture_on_commit_callbacks):
    item = published_item()
    with django_capture_on_commit_callbacks(execute=False):
        assert share(api, item, "first").status_code == 201
        refused = share(api, item, "second")
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "already_shared",
        "message": "You shared this on LinkedIn just now. To post it a second time, choose “Share again on LinkedIn”.",
        "field": "linkedin",
    }
    assert Share.objects.count() == 1


def test_share_again_in_the_api(api, django_capture_on_commit_callbacks):
    item = published_item()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = share(api, item, "first")
        again = share(api, item, "second", share_again=["linkedin"])
    assert first.status_code == again.status_code == 201 and len(callbacks) == 2
    assert first.json()[0]["id"] != again.json()[0]["id"] and Share.objects.count() == 2


def test_share_again_must_name_a_network(api):
    response = share(api, published_item(), "k", share_again=["myspace"])
    assert response.status_code == 400 and response.json()["error"]["field"] == "share_again"
    assert Share.objects.count() == 0
