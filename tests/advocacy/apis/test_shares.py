"""My shares in the API: the idempotency key (header or field), listing with filters,
ordering and cursor pages, one share, and cancel / retry / confirm through the portal's
services with their rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Share
from tests.api_schema import assert_matches_schema
from tests.factories import SocialAccountFactory, advocate, published_item

pytestmark = pytest.mark.django_db

SHARES = "/api/v1/shares/"


@pytest.fixture
def me(client):
    user = advocate()
    SocialAccountFactory(user=user, network="linkedin")
    SocialAccountFactory(user=user, network="x", scopes="tweet.read tweet.write users.read")
    client.force_login(user)
    return user


def post(client, body, **headers):
    return client.post(SHARES, body, content_type="application/json", **headers)


# --- the idempotency key ----------------------------------------------------------------


def test_the_key_as_a_header(client, me, django_capture_on_commit_callbacks):
    item = published_item()
    body = {"item": item.pk, "networks": ["linkedin", "x"]}
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        first = post(client, body, HTTP_IDEMPOTENCY_KEY="abc-123")
        again = post(client, body, HTTP_IDEMPOTENCY_KEY="abc-123")
        same_as_field = post(client, {**body, "idempotency_key": "abc-123"})
    assert first.status_code == again.status_code == same_as_field.status_code == 201
    assert [s["id"] for s in first.json()] == [s["id"] for s in again.json()] == [s["id"] for s in same_as_field.json()]
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert same_as_field["Idempotent-Replayed"] == "true"
    assert Share.objects.count() == 2 and len(enqueued) == 2
    assert {s.idempotency_key for s in Share.objects.all()} == {"abc-123"}


@pytest.mark.parametrize(("headers", "body", "message"), [
    ({}, {}, "Send an idempotency key"),
    ({"HTTP_IDEMPOTENCY_KEY": "a"}, {"idempotency_key": "b"}, "differ"),
    ({"HTTP_IDEMPOTENCY_KEY": "k" * 65}, {}, "the limit is 64"),
    ({}, {"idempotency_key": "k" * 65}, "no more than 64"),
    ({"HTTP_IDEMPOTENCY_KEY": "   "}, {"idempotency_key": " "}, "Send an idempotency key"),
])
def test_a_missing_or_bad_key_is_refused(client, me, headers, body, message):
    response = post(client, {"item": published_item().pk, "networks": ["linkedin"], **body}, **headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "idempotency_key" and message in error["message"]
    assert not Share.objects.exists()


@pytest.mark.parametrize("change", ["item", "networks"])
def test_a_key_reused_for_another_request_is_422(client, me, change, django_capture_on_commit_callbacks):
    item, other = published_item(), published_item()
    with django_capture_on_commit_callbacks(execute=False):
        assert post(client, {"item": item.pk, "networks": ["linkedin"]}, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
        again = {"item": other.pk, "networks": ["linkedin"]} if change == "item" else {
            "item": item.pk, "networks": ["linkedin", "x"]}
        response = post(client, again, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Share.objects.count() == 1


def test_a_locked_text_is_shared_as_written(client, me, django_capture_on_commit_callbacks):
    item = published_item(text_locked=True)
    with django_capture_on_commit_callbacks(execute=False):
        response = post(client, {"item": item.pk, "networks": ["linkedin"], "texts": {"linkedin": "Mine"}},
                        HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201 and response.json()[0]["text"] == "Worth a read."


def test_scheduling(client, me, django_capture_on_commit_callbacks):
    item = published_item()
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = post(client, {"item": item.pk, "networks": ["linkedin"], "scheduled_for": when.isoformat()},
                        HTTP_IDEMPOTENCY_KEY="k")
    [share] = response.json()
    assert share["status"] == "scheduled" and share["can_cancel"] is True and not enqueued
    past = post(client, {"item": item.pk, "networks": ["x"], "scheduled_for": "2020-01-01T09:00:00+00:00"},
                HTTP_IDEMPOTENCY_KEY="k2")
    assert past.status_code == 400 and past.json()["error"]["code"] == "share_refused"
    assert Share.objects.count() == 1


# --- listing ----------------------------------------------------------------------------


@pytest.fixture
def mine(me):
    items = [published_item() for _ in range(3)]
    shares = []
    for n, (item, network, status) in enumerate([
        (items[0], "linkedin", "posted"), (items[0], "x", "failed"), (items[1], "linkedin", "queued"),
        (items[1], "x", "unconfirmed"), (items[2], "linkedin", "scheduled"), (items[2], "x", "posted"),
    ]):
        share = Share.objects.create(user=me, item=item, network=network, text="t", final_text="t",
                                     idempotency_key=f"k{n}", status=status)
        Share.objects.filter(pk=share.pk).update(created_at=timezone.now() - timedelta(minutes=10 - n))
        shares.append(share)
    Share.objects.create(user=advocate(), item=items[0], network="linkedin", text="t", final_text="t",
                         idempotency_key="theirs", status="posted")
    return items, shares


def listed(client, query=None) -> list[int]:
    response = client.get(SHARES, query or {})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_mine_newest_first(client, mine):
    _, shares = mine
    assert listed(client) == [s.pk for s in reversed(shares)]


@pytest.mark.parametrize(("query", "picked"), [
    ({"status": "posted"}, [0, 5]),
    ({"status": ["failed", "unconfirmed"]}, [1, 3]),
    ({"network": "x"}, [1, 3, 5]),
    ({"item": "ITEM0"}, [0, 1]),
    ({"network": "linkedin", "status": "queued"}, [2]),
])
def test_filters(client, mine, query, picked):
    items, shares = mine
    query = {k: (items[0].pk if v == "ITEM0" else v) for k, v in query.items()}
    assert sorted(listed(client, query)) == sorted(shares[i].pk for i in picked)


@pytest.mark.parametrize(("query", "field"), [({"status": "lost"}, "status"), ({"network": "myspace"}, "network"),
                                              ({"item": "first"}, "item"), ({"item": str(10**25)}, "item")])
def test_a_bad_filter_is_a_400(client, mine, query, field):
    response = client.get(SHARES, query)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_ordering_and_cursor_pages(client, mine):
    _, shares = mine
    oldest_first, url = [], f"{SHARES}?ordering=created_at&page_size=4"
    while url:
        body = client.get(url).json()
        oldest_first += [row["id"] for row in body["results"]]
        url = body["next"]
    assert oldest_first == [s.pk for s in shares]
    assert listed(client, {"ordering": "-id"}) == sorted((s.pk for s in shares), reverse=True)


def test_the_list_in_bounded_queries(client, mine, django_assert_max_num_queries):
    items, _ = mine
    for n in range(30):
        Share.objects.create(user=mine[1][0].user, item=items[n % 3], network="linkedin", text="t",
                             final_text="t", idempotency_key=f"more{n}", status="posted")
    with django_assert_max_num_queries(3):  # session, user, the page (item and account joined)
        assert len(listed(client, {"page_size": 50})) == 36


def test_one_share(client, mine):
    _, shares = mine
    body = client.get(f"{SHARES}{shares[1].pk}/").json()
    assert body["id"] == shares[1].pk and body["status"] == "failed" and body["can_retry"] is True
    assert body["tracked_url"] == shares[1].tracked_url and "account" not in body


# --- cancel, retry, confirm -------------------------------------------------------------


def _one(me, status: str, **extra) -> Share:
    return Share.objects.create(user=me, item=published_item(), network="linkedin", text="t", final_text="t",
                                idempotency_key=status, status=status, **extra)


def test_cancel(client, me):
    share = _one(me, "scheduled", scheduled_for=timezone.now() + timedelta(days=1))
    response = client.post(f"{SHARES}{share.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client.post(f"{SHARES}{share.pk}/cancel/")
    assert again.status_code == 409 and again.json()["error"] == {
        "code": "not_cancellable", "message": "Too late to cancel: this share is already being posted.", "field": None}
    for answer in (response, again):  # both documented (the 409 in the error shape)
        assert_matches_schema(answer, "POST", SHARES + "{share_id}/cancel/")


def test_too_late_to_cancel(client, me):
    share = _one(me, "queued", attempts=1)
    assert client.post(f"{SHARES}{share.pk}/cancel/").status_code == 409
    share.refresh_from_db()
    assert share.status == "queued"


def test_retry(client, me, django_capture_on_commit_callbacks):
    share = _one(me, "failed", attempts=5, error_message="LinkedIn was down.")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(f"{SHARES}{share.pk}/retry/")
    assert response.status_code == 200 and len(enqueued) == 1
    body = response.json()
    assert body["status"] == "queued" and body["error_message"] == ""
    share.refresh_from_db()
    assert share.attempts == 0


@pytest.mark.parametrize("status", ["posted", "unconfirmed", "queued", "cancelled"])
def test_only_a_failed_share_is_retried(client, me, status):
    share = _one(me, status)
    response = client.post(f"{SHARES}{share.pk}/retry/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_retryable"
    assert_matches_schema(response, "POST", SHARES + "{share_id}/retry/")
    share.refresh_from_db()
    assert share.status == status


def test_confirm_it_landed(client, me):
    share = _one(me, "unconfirmed", posting_started_at=timezone.now() - timedelta(minutes=5))
    response = client.post(f"{SHARES}{share.pk}/confirm/", {"landed": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "posted"
    assert response.json()["posted_at"] is not None


def test_confirm_it_did_not_land_posts_again(client, me, django_capture_on_commit_callbacks):
    share = _one(me, "unconfirmed", attempts=3)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(f"{SHARES}{share.pk}/confirm/", {"landed": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "queued" and len(enqueued) == 1


@pytest.mark.parametrize("body", [{}, {"landed": "maybe"}, {"landed": None}])
def test_confirm_needs_an_answer(client, me, body):
    share = _one(me, "unconfirmed")
    response = client.post(f"{SHARES}{share.pk}/confirm/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "landed"
    share.refresh_from_db()
    assert share.status == "unconfirmed"


def test_an_empty_form_post_does_not_read_as_no(client, me):
    share = _one(me, "unconfirmed")
    response = client.post(f"{SHARES}{share.pk}/confirm/")  # multipart, no "landed"
    assert response.status_code == 400
    share.refresh_from_db()
    assert share.status == "unconfirmed"


def test_confirm_only_an_unconfirmed_share(client, me):
    share = _one(me, "posted")
    response = client.post(f"{SHARES}{share.pk}/confirm/", {"landed": False}, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"] == {
        "code": "not_unconfirmed", "message": "This share no longer needs confirming.", "field": None}
    assert_matches_schema(response, "POST", SHARES + "{share_id}/confirm/")
    share.refresh_from_db()
    assert share.status == "posted"
