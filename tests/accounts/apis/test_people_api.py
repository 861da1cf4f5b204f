"""The people API: the admin's permissions on people (tables per endpoint), nothing secret
shown, filters with bounded queries, invitations, the CSV import as an upload (all or
nothing), and deactivation with its side effects."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.roles import ADMIN, ADVOCATE, APPROVER, CURATOR
from accounts.services.api_tokens import api_token_create
from accounts.services.invitations import invitation_user_from_token
from advocacy.models import AccountStatus, Share, SocialAccount
from tests.api_schema import assert_matches_schema
from tests.factories import (
    SocialAccountFactory,
    TeamFactory,
    UserFactory,
    advocate,
    approver,
    curator,
    published_item,
)

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"
IMPORT = "/api/v1/people/import/"
TEAMS = "/api/v1/teams/"
GOOD_CSV = b"email,name,team,location,title\nnew.one@example.com,New One,Sales,Leeds,Engineer\nnew.two@example.com,New Two,,,\n"


def an_admin(**kwargs) -> User:
    return UserFactory(roles=[ADMIN, ADVOCATE], **kwargs)


ROLES = {"advocate": advocate, "curator": curator, "approver": approver, "admin": an_admin}


def as_role(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(ROLES[role]())
    return client


def csv_upload(content: bytes = GOOD_CSV, **extra) -> dict:
    return {"file": SimpleUploadedFile("people.csv", content, content_type="text/csv"), **extra}


@pytest.fixture
def sales():
    return TeamFactory(name="Sales")


@pytest.fixture(autouse=True)
def _no_throttle_redis(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


# --- who may -----------------------------------------------------------------------------

READERS = [("anonymous", 401), ("advocate", 403), ("curator", 200), ("approver", 200), ("admin", 200)]
WRITERS = [("anonymous", 401), ("advocate", 403), ("curator", 403), ("approver", 403), ("admin", None)]


@pytest.mark.parametrize("what", ["list", "detail", "teams"])
@pytest.mark.parametrize(("role", "status"), READERS)
def test_who_may_read_people_and_teams(what, role, status):
    person = advocate()
    url = {"list": PEOPLE, "detail": f"{PEOPLE}{person.pk}/", "teams": TEAMS}[what]
    response = as_role(role).get(url)
    assert response.status_code == status, response.content[:200]
    if status >= 400:
        assert set(response.json()["error"]) == {"code", "message", "field"}


@pytest.mark.parametrize(("role", "status"), [(r, s or 201) for r, s in WRITERS])
def test_who_may_invite(role, status, sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_role(role).post(PEOPLE, {"email": "ann@example.com", "full_name": "Ann", "team": sales.pk},
                                      content_type="application/json")
    assert response.status_code == status
    assert User.objects.filter(email="ann@example.com").exists() == (status == 201)
    assert len(mail.outbox) == (1 if status == 201 else 0)


@pytest.mark.parametrize("action", ["deactivate", "reactivate"])
@pytest.mark.parametrize(("role", "status"), [(r, s or 200) for r, s in WRITERS])
def test_who_may_deactivate_and_reactivate(action, role, status):
    person = advocate(is_active=action == "deactivate")
    response = as_role(role).post(f"{PEOPLE}{person.pk}/{action}/")
    assert response.status_code == status
    person.refresh_from_db()
    assert person.is_active == ((action == "deactivate") != (status == 200))


@pytest.mark.parametrize(("role", "status"), [(r, s or 201) for r, s in WRITERS])
def test_who_may_import(role, status, sales):
    response = as_role(role).post(IMPORT, csv_upload())
    assert response.status_code == status
    assert User.objects.filter(email__startswith="new.").count() == (2 if status == 201 else 0)


def test_unknown_people_are_404_and_wrong_methods_405():
    client = as_role("admin")
    assert client.get(f"{PEOPLE}999999/").json()["error"]["code"] == "not_found"
    assert client.post(f"{PEOPLE}999999/deactivate/").status_code == 404
    assert client.get(f"{PEOPLE}{advocate().pk}/deactivate/").status_code == 405
    assert client.get(IMPORT).status_code == 405
    assert client.post(TEAMS).status_code == 405


def test_a_read_only_token_reads_but_never_writes(sales):
    admin = an_admin()
    person = advocate()
    plain = api_token_create(user=admin, name="HR sync", scope="read", expires_in_days=30).plain
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    client = Client()
    assert client.get(PEOPLE, **auth).status_code == 200
    refused = [
        client.post(PEOPLE, {"email": "ro@example.com", "full_name": "Ro"}, content_type="application/json", **auth),
        client.post(f"{PEOPLE}{person.pk}/deactivate/", **auth),
        client.post(IMPORT, csv_upload(), **auth),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    person.refresh_from_db()
    assert person.is_active and not User.objects.filter(email__in=["ro@example.com", "new.one@example.com"]).exists()
    assert not mail.outbox


# --- what is shown -----------------------------------------------------------------------


def test_nothing_secret_is_shown():
    person = advocate(email="ann.lee@example.com", job_title="Engineer", invited_at=timezone.now())
    token = api_token_create(user=person, name="Mine", scope="read", expires_in_days=30)
    body = as_role("curator").get(f"{PEOPLE}{person.pk}/")
    data = body.json()
    assert set(data) == {
        "id", "email", "full_name", "job_title", "team", "location", "timezone", "language", "roles", "is_active",
        "is_staff", "is_superuser", "advocate", "advocate_opted_in_at", "leaderboard_opt_out",
        "notification_preference", "invitation", "date_joined", "last_login",
    }
    text = body.content.decode()
    stored = ApiToken.objects.get(pk=token.token.pk)
    for secret in (person.password, person.invitation_nonce, token.plain, stored.digest):
        assert secret not in text
    assert data["roles"] == [ADVOCATE] and data["team"]["id"] == person.team_id
    assert data["invitation"]["status"] == "pending" and data["advocate"] is True


def test_filters_search_and_ordering_with_bounded_queries(sales):
    other = TeamFactory(name="Support")
    ann = advocate(full_name="Ann Archer", team=sales, job_title="Account executive")
    bob = curator(full_name="Bob Brown", team=other)
    cat = advocate(full_name="Cat Cole", team=sales, is_active=False)
    dan = UserFactory(full_name="Dan Dean", team=other, roles=[], advocate_opted_in_at=None,
                      invited_at=timezone.now())
    client = Client()
    client.force_login(an_admin(full_name="Zed Admin", team=other))

    def names(**params) -> list[str]:
        return [p["full_name"] for p in client.get(PEOPLE, params).json()["results"]]

    assert names(team=sales.pk) == ["Ann Archer", "Cat Cole"]
    assert names(role=CURATOR) == ["Bob Brown"]
    assert names(active="false") == ["Cat Cole"]
    assert "Dan Dean" in names(advocate="false") and "Dan Dean" not in names(advocate="true")
    assert names(invitation="pending") == ["Dan Dean"]
    assert names(search="account exec") == ["Ann Archer"]
    assert names(search="support brown") == ["Bob Brown"]
    assert names(ordering="-full_name")[:2] == ["Zed Admin", "Dan Dean"]
    assert client.get(PEOPLE, {"team": 999999}).json()["error"]["field"] == "team"
    assert client.get(PEOPLE, {"role": "Boss"}).status_code == 400

    page = client.get(PEOPLE, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert [p["id"] for p in client.get(page["next"]).json()["results"]][:1] != [ann.pk]
    with CaptureQueriesContext(connection) as few:
        client.get(PEOPLE)
    for n in range(15):
        curator(full_name=f"Extra {n}", team=sales)
    with CaptureQueriesContext(connection) as many:
        body = client.get(PEOPLE).json()
    assert len(body["results"]) == 20 and len(many) == len(few) <= 6
    assert {bob.pk, cat.pk, dan.pk} <= {p["id"] for p in body["results"]}


def test_teams_count_members_and_advocates(sales):
    advocate(team=sales)
    UserFactory(team=sales, roles=[], advocate_opted_in_at=None)
    client = as_role("curator")
    rows = {t["name"]: t for t in client.get(TEAMS).json()["results"]}
    assert rows["Sales"]["members"] == 2 and rows["Sales"]["advocates"] == 1


# --- invitations -------------------------------------------------------------------------


def test_invite_creates_the_person_and_sends_one_email(sales, django_capture_on_commit_callbacks):
    client = as_role("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PEOPLE, {"email": "Ann.Lee@Example.com", "full_name": "Ann Lee", "team": sales.pk,
                                         "job_title": "Engineer", "location": "Leeds"},
                               content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert response["Location"] == f"{PEOPLE}{data['id']}/"
    assert data["email"] == "ann.lee@example.com" and data["roles"] == [ADVOCATE]
    assert data["invitation"]["status"] == "pending" and data["advocate"] is False
    person = User.objects.get(pk=data["id"])
    assert not is_password_usable(person.password) and person.invitation_sent_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann.lee@example.com"]
    link = next(word for word in mail.outbox[0].body.split() if "/accounts/invitation/" in word)
    assert invitation_user_from_token(link.rstrip("/").rsplit("/", 1)[1]) == person


@pytest.mark.parametrize(("payload", "field"), [
    ({"email": "TAKEN@example.com", "full_name": "Again"}, "email"),
    ({"email": "not-an-email", "full_name": "X"}, "email"),
    ({"email": "x@example.com"}, "full_name"),
    ({"email": "x@example.com", "full_name": "X", "team": 999999}, "team"),
    ({"email": "x@example.com", "full_name": "X", "roles": ["Boss"]}, "roles"),
    ({"email": "x@example.com", "full_name": "X" * 201}, "full_name"),
])
def test_bad_invitations_are_a_400_and_change_nothing(payload, field, django_capture_on_commit_callbacks):
    advocate(email="taken@example.com")
    before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_role("admin").post(PEOPLE, payload, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert User.objects.count() == before + 1  # the admin who asked
    assert not mail.outbox


def test_roles_follow_the_role_safety_rules(django_capture_on_commit_callbacks):
    admin = Client()
    admin.force_login(an_admin())
    with django_capture_on_commit_callbacks(execute=True):
        refused = admin.post(PEOPLE, {"email": "boss@example.com", "full_name": "Boss", "roles": [ADMIN]},
                             content_type="application/json")
        staff = admin.post(PEOPLE, {"email": "cur@example.com", "full_name": "Cur", "roles": [CURATOR, APPROVER]},
                           content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "roles"
    assert "superuser" in refused.json()["error"]["message"]
    assert not User.objects.filter(email="boss@example.com").exists()
    assert staff.status_code == 201 and staff.json()["roles"] == [APPROVER, CURATOR] and staff.json()["is_staff"]
    assert [m.to for m in mail.outbox] == [["cur@example.com"]]

    root = Client()
    root.force_login(UserFactory(is_superuser=True, roles=[]))
    granted = root.post(PEOPLE, {"email": "boss@example.com", "full_name": "Boss", "roles": [ADMIN]},
                        content_type="application/json")
    assert granted.status_code == 201 and granted.json()["roles"] == [ADMIN]


# --- the CSV import ----------------------------------------------------------------------


def test_import_creates_everyone_and_invites_them(sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_role("admin").post(IMPORT, csv_upload())
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 2 and body["invited"] and not body["dry_run"]
    assert_matches_schema(response, "POST", IMPORT)
    assert [(r["line"], r["email"], r["team"]) for r in body["rows"]] == [
        (2, "new.one@example.com", "Sales"), (3, "new.two@example.com", None)]
    assert sorted(m.to[0] for m in mail.outbox) == ["new.one@example.com", "new.two@example.com"]
    one = User.objects.get(email="new.one@example.com")
    assert one.team == sales and one.location == "Leeds" and one.job_title == "Engineer"
    assert one.has_role(ADVOCATE) and not one.has_role(CURATOR)


def test_import_without_invitations_and_the_dry_run(sales, django_capture_on_commit_callbacks):
    client = as_role("admin")
    with django_capture_on_commit_callbacks(execute=True):
        checked = client.post(IMPORT, csv_upload(dry_run="true"))
        assert checked.status_code == 200 and checked.json()["dry_run"] and checked.json()["created"] == 0
        assert len(checked.json()["rows"]) == 2 and not User.objects.filter(email__startswith="new.").exists()
        quiet = client.post(IMPORT, csv_upload(invite="false"))
    assert quiet.status_code == 201 and quiet.json()["created"] == 2 and not quiet.json()["invited"]
    assert not mail.outbox and User.objects.get(email="new.one@example.com").invited_at is None


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_a_bad_row_imports_nothing_and_lists_every_problem(sales, dry_run, django_capture_on_commit_callbacks):
    advocate(email="taken@example.com")
    before = User.objects.count()
    content = (b"email,name,team\nok@example.com,Ok,Sales\nbad,Bad,Nope\nTAKEN@example.com,Taken,\n"
               b"ok@example.com,Twice,\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_role("admin").post(IMPORT, csv_upload(content, dry_run=dry_run))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_csv" and error["field"] == "file" and "nothing was imported" in error["message"]
    assert_matches_schema(response, "POST", IMPORT)
    assert [row["line"] for row in error["rows"]] == [3, 4, 5]
    assert "not a valid email address" in error["rows"][0]["message"]
    assert "unknown team" in error["rows"][0]["message"]
    assert "already exists" in error["rows"][1]["message"] and "Duplicate of line 2" in error["rows"][2]["message"]
    assert User.objects.count() == before + 1 and not mail.outbox  # only the admin who asked


@pytest.mark.parametrize(("data", "field", "words"), [
    ({}, "file", "No file"),
    ({"file": SimpleUploadedFile("p.csv", b"\xff\xfe\x00bad", content_type="text/csv")}, "file", "problem"),
    ({"file": SimpleUploadedFile("p.csv", b"email,title\na@example.com,X\n", content_type="text/csv")},
     "file", "problem"),
])
def test_unreadable_uploads_are_a_400(data, field, words):
    response = as_role("admin").post(IMPORT, data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field and words in error["message"]
    assert not User.objects.filter(email="a@example.com").exists()
    # With `rows` for problems in the file, without them for a request with no file.
    assert ("rows" in error) == (error["code"] == "invalid_csv")
    assert_matches_schema(response, "POST", IMPORT)


def test_a_nul_in_a_field_name_is_a_documented_400():
    response = as_role("admin").post(IMPORT, {"fi\x00le": "x"})
    assert response.status_code == 400
    assert "rows" not in response.json()["error"]
    assert_matches_schema(response, "POST", IMPORT)


# --- deactivation ------------------------------------------------------------------------


class FakeAdapter:
    def __init__(self) -> None:
        self.revoked: list[str] = []

    def revoke(self, *, token: str) -> None:
        self.revoked.append(token)


def test_deactivation_stops_everything_done_in_their_name(monkeypatch, django_capture_on_commit_callbacks):
    adapter = FakeAdapter()
    monkeypatch.setattr("advocacy.services.connections.get_adapter", lambda network: adapter)
    person = advocate()
    account = SocialAccountFactory(user=person, network="linkedin", access_token="their-access",
                                   refresh_token="their-refresh")
    item = published_item()

    def share(status: str, **extra) -> Share:
        return Share.objects.create(user=person, item=item, network="linkedin", account=account, text="t",
                                    final_text="t", idempotency_key=status, status=status, **extra)

    queued, scheduled = share("queued"), share("scheduled", scheduled_for=timezone.now() + timedelta(days=1))
    posted = share("posted", remote_id="urn:li:share:1", posted_at=timezone.now())
    plain = api_token_create(user=person, name="Mine", scope="read", expires_in_days=30).plain

    client = as_role("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PEOPLE}{person.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    statuses = dict(Share.objects.filter(user=person).values_list("pk", "status"))
    assert statuses == {queued.pk: "cancelled", scheduled.pk: "cancelled", posted.pk: "posted"}
    account = SocialAccount.objects.get(pk=account.pk)
    assert account.status == AccountStatus.REVOKED and not account.access_token and not account.refresh_token
    assert sorted(adapter.revoked) == ["their-access", "their-refresh"]
    assert Client().get(PEOPLE, HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"{PEOPLE}{person.pk}/deactivate/")
        back = client.post(f"{PEOPLE}{person.pk}/reactivate/")
    assert again.status_code == 200 and back.status_code == 200 and back.json()["is_active"] is True
    assert Share.objects.get(pk=queued.pk).status == "cancelled"  # nothing comes back by itself


def test_nobody_deactivates_themselves_and_only_a_superuser_a_superuser():
    admin = an_admin()
    client = Client()
    client.force_login(admin)
    own = client.post(f"{PEOPLE}{admin.pk}/deactivate/")
    assert own.status_code == 403 and "your own account" in own.json()["error"]["message"]
    root = UserFactory(is_superuser=True, roles=[])
    assert client.post(f"{PEOPLE}{root.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=admin.pk).is_active and User.objects.get(pk=root.pk).is_active
    boss = Client()
    boss.force_login(UserFactory(is_superuser=True, roles=[]))
    assert boss.post(f"{PEOPLE}{root.pk}/deactivate/").status_code == 200
    assert not User.objects.get(pk=root.pk).is_active
