"""My notifications in the API: listed (unread filter, cursor pages), one marked read, all
marked read, through the notification centre's services; nobody touches another's."""

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.advocacy.apis.roles import PEOPLE, ROLES, bearer, call
from tests.factories import advocate

pytestmark = pytest.mark.django_db

LIST, READ_ALL = "/api/v1/notifications/", "/api/v1/notifications/read-all/"


def note(user, title="Hello", read=False, **extra) -> Notification:
    return Notification.objects.create(user=user, kind=extra.pop("kind", "system"), title=title, url="/shares/",
                                       read_at=timezone.now() if read else None, **extra)


def state(user) -> list:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("pk", "read_at"))


ENDPOINTS = [("GET", LIST, 200), ("POST", "/api/v1/notifications/{n}/read/", 200), ("POST", READ_ALL, 200)]


@pytest.mark.parametrize(("method", "url", "ok"), ENDPOINTS)
def test_anonymous_is_401(client, method, url, ok):
    n = note(advocate())
    assert call(client, method, url.format(n=n.pk)).status_code == 401
    assert Notification.objects.get().read_at is None


@pytest.mark.parametrize(("method", "url", "ok"), ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_for_themselves(client, role, method, url, ok):
    person = PEOPLE[role]()
    n = note(person)
    client.force_login(person)
    assert call(client, method, url.format(n=n.pk)).status_code == ok


@pytest.mark.parametrize("role", ROLES)
def test_someone_elses_notification_is_404_and_stays_unread(client, role):
    theirs = note(advocate())
    client.force_login(PEOPLE[role]())
    response = client.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.post(READ_ALL).json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("url", ["/api/v1/notifications/{n}/read/", READ_ALL])
def test_a_read_only_token_never_marks(client, url):
    me = advocate()
    n = note(me)
    headers = bearer(me, scope="read")
    assert client.get(LIST, **headers).status_code == 200
    assert client.post(url.format(n=n.pk), **headers).status_code == 403
    assert state(me) == [(n.pk, None)]


def test_listed_newest_first_with_the_unread_filter(client):
    me = advocate()
    old = note(me, "Old", read=True)
    new = note(me, "New", kind="share_failed")
    note(advocate(), "Theirs")
    client.force_login(me)
    rows = client.get(LIST).json()["results"]
    assert [r["id"] for r in rows] == [new.pk, old.pk]
    assert rows[0] | {"created_at": None} == {
        "id": new.pk, "kind": "share_failed", "title": "New", "body": "", "url": "http://testserver/shares/",
        "item": None, "read": False, "read_at": None, "created_at": None}
    assert [r["id"] for r in client.get(LIST, {"unread": "true"}).json()["results"]] == [new.pk]
    assert [r["id"] for r in client.get(LIST, {"unread": "false"}).json()["results"]] == [old.pk]
    assert [r["id"] for r in client.get(LIST, {"kind": "system"}).json()["results"]] == [old.pk]
    bad = client.get(LIST, {"kind": "gossip"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "kind"
    bad = client.get(LIST, {"cursor": "forged"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "cursor"


def test_cursor_pages_in_bounded_queries(client, django_assert_max_num_queries):
    me = advocate()
    made = [note(me, f"N{i}") for i in range(7)]
    client.force_login(me)
    seen, url = [], f"{LIST}?page_size=3"
    with django_assert_max_num_queries(3 * 3):
        while url:
            body = client.get(url).json()
            seen += [r["id"] for r in body["results"]]
            url = body["next"]
    assert seen == [n.pk for n in reversed(made)]


def test_only_our_own_paths_become_links(client):
    me = advocate()
    Notification.objects.create(user=me, kind="system", title="Odd", url="//evil.example/x")
    client.force_login(me)
    assert client.get(LIST).json()["results"][0]["url"] == ""


def test_mark_one_and_all_read(client):
    me = advocate()
    a, b, c = note(me), note(me), note(me, read=True)
    client.force_login(me)
    body = client.post(f"/api/v1/notifications/{a.pk}/read/").json()
    assert body["read"] is True and body["read_at"]
    again = client.post(f"/api/v1/notifications/{a.pk}/read/").json()
    assert again["read_at"] == body["read_at"]  # already read: unchanged
    assert client.post(READ_ALL).json() == {"marked": 1}
    assert not Notification.objects.filter(user=me, read_at__isnull=True).exists()
    c.refresh_from_db()
    assert c.read_at is not None and b.pk
