"""SCIM /Users: create, get, list and filter, replace, patch (the forms Entra ID and Okta
send), delete; each bad request is a SCIM error that changes nothing."""

import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import ADVOCATE
from accounts.services.privacy import account_delete
from accounts.signals import person_joined, user_deactivated
from advocacy.models import Share, ShareStatus
from identity.models import ProvisionedUser
from tests.factories import TeamFactory, UserFactory, advocate, published_item
from tests.identity.scim_support import (
    ENTERPRISE,
    USER_SCHEMA,
    assert_error,
    user_body,
)
from tests.support import signals_heard

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    with signals_heard(joined=person_joined, deactivated=user_deactivated) as events:
        yield events


def _state() -> list:
    return list(User.objects.order_by("pk").values_list("pk", "email", "full_name", "job_title", "team_id",
                                                        "is_active"))


def _create(scim, email="ann@example.com", **extra) -> dict:
    response = scim.post("/Users", user_body(email, **extra))
    assert response.status_code == 201, response.content
    return response.json()


# --- create -------------------------------------------------------------------------------


def test_create_makes_a_usable_account_with_its_team_and_announces_it(
        scim, scim_token, heard, django_capture_on_commit_callbacks):
    body = user_body("Ann.Lee@Example.com", title="Field engineer", externalId="entra-oid-1",
                     **{ENTERPRISE: {"department": "Field Sales"}})
    with django_capture_on_commit_callbacks(execute=True):
        response = scim.post("/Users", body)
        assert heard == []
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/scim+json")
    data = response.json()
    user = User.objects.get(pk=int(data["id"]))
    assert response["Location"] == data["meta"]["location"] == f"http://testserver/scim/v2/Users/{user.pk}"
    assert (user.email, user.full_name, user.job_title, user.team.name) == (
        "ann.lee@example.com", "Ann Lee", "Field engineer", "Field Sales")
    assert user.is_active and user.has_usable_password() and user.role_names == {ADVOCATE}
    assert user.advocate_opted_in_at is None  # employees opt in themselves
    assert Team.objects.get(name="Field Sales").slug == "field-sales"
    assert ProvisionedUser.objects.get(user=user).external_id == "entra-oid-1"
    assert [(kind, kw["user"].pk, kw["how"]) for kind, kw in heard] == [("joined", user.pk, "scim")]
    assert data["userName"] == "ann.lee@example.com" and data["externalId"] == "entra-oid-1"
    assert data["name"] == {"givenName": "Ann", "familyName": "Lee"} and data["active"] is True
    assert data["emails"] == [{"value": "ann.lee@example.com", "type": "work", "primary": True}]
    assert data[ENTERPRISE] == {"department": "Field Sales"}
    assert data["groups"][0]["display"] == "Field Sales"
    entry = LogEntry.objects.get(additional_data__event="provisioned by SCIM")
    assert entry.actor is None and entry.additional_data["scim_token"] == scim_token.token.name


def test_a_department_matches_an_existing_team_whatever_the_case(scim):
    sales = TeamFactory(name="Sales")
    data = _create(scim, **{ENTERPRISE: {"department": "SALES"}})
    assert User.objects.get(pk=data["id"]).team == sales and Team.objects.count() == 1


def test_an_unknown_department_creates_no_team_when_switched_off(scim, settings):
    settings.SCIM_DEPARTMENT_CREATES_TEAM = False
    data = _create(scim, **{ENTERPRISE: {"department": "Nowhere"}})
    assert User.objects.get(pk=data["id"]).team is None and not Team.objects.exists()


def test_display_name_wins_for_the_chorus_name(scim):
    data = _create(scim, displayName="Ann L. (Sales)")
    assert User.objects.get(pk=data["id"]).full_name == "Ann L. (Sales)"


def test_creating_an_inactive_person_announces_no_arrival(scim, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        data = _create(scim, active=False)
    assert not User.objects.get(pk=data["id"]).is_active and heard == []


@pytest.mark.parametrize("email", ["ANN@example.com", "ann@example.com"])
def test_a_taken_user_name_is_a_409_uniqueness(scim, email):
    UserFactory(email="ann@example.com")
    before = _state()
    assert_error(scim.post("/Users", user_body(email)), 409, "uniqueness")
    assert _state() == before


def test_a_superuser_is_never_managed_by_scim(scim):
    root = User.objects.create_superuser("root@example.com", "a-Long-passphrase-42")
    assert_error(scim.post("/Users", user_body("root@example.com")), 409, "uniqueness")
    assert_error(scim.get(f"/Users/{root.pk}"), 404)
    assert scim.get('/Users?filter=userName eq "root@example.com"').json()["totalResults"] == 0


@pytest.mark.parametrize(("body", "scim_type"), [
    ({"schemas": [USER_SCHEMA], "userName": "not-an-email"}, "invalidValue"),
    ({"schemas": [USER_SCHEMA], "userName": "a@example.com", "title": "x" * 201}, "invalidValue"),
    ({"schemas": [USER_SCHEMA]}, None),  # userName is required
    ({"schemas": [USER_SCHEMA], "userName": "a@example.com", "favouriteColour": "red"}, None),
    ({"schemas": [USER_SCHEMA], "userName": "a@example.com", "active": "perhaps"}, "invalidValue"),
])
def test_bad_input_is_a_400_and_creates_nothing(scim, body, scim_type):
    before = _state()
    assert_error(scim.post("/Users", body), 400, scim_type)
    assert _state() == before and not ProvisionedUser.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "", "[" * 5000 + "]" * 5000])
def test_a_body_that_is_not_a_json_object_is_invalid_syntax(scim, raw):
    before = _state()
    assert_error(scim.post("/Users", raw), 400, "invalidSyntax")
    assert _state() == before


def test_standard_attributes_chorus_does_not_keep_are_accepted_and_ignored(scim):
    data = _create(scim, phoneNumbers=[{"value": "+44 20 7946 0000", "type": "work"}], password="Pa55word!",
                   preferredLanguage="en-GB", addresses=[{"locality": "Lisbon", "type": "work"}])
    user = User.objects.get(pk=data["id"])
    assert "phoneNumbers" not in data and "password" not in data
    assert not user.check_password("Pa55word!")  # the provider's password is never kept


# --- get and list ---------------------------------------------------------------------------


def test_get_and_what_is_a_404(scim):
    data = _create(scim)
    assert scim.get(f"/Users/{data['id']}").json() == data
    for missing in ("999999", "abc", "1;DROP"):
        assert_error(scim.get(f"/Users/{missing}"), 404)


def test_a_person_never_written_to_by_scim_shows_their_chorus_name(scim):
    bob = advocate(full_name="Bob Stone", job_title="Buyer")
    data = scim.get(f"/Users/{bob.pk}").json()
    assert data["displayName"] == "Bob Stone" and data["name"] == {"formatted": "Bob Stone"}
    assert data["title"] == "Buyer" and "externalId" not in data


def test_filters_that_identity_providers_send(scim):
    ann = _create(scim, "ann@example.com", externalId="oid-ann")
    bob = _create(scim, "bob@example.com", externalId="oid-bob")

    def ids(expression: str) -> list[str]:
        response = scim.get("/Users", data={"filter": expression})
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json().get("Resources", [])]

    assert ids('userName eq "ANN@example.com"') == [ann["id"]]
    assert ids('externalId eq "oid-bob"') == [bob["id"]]
    assert ids('externalId eq "OID-BOB"') == []  # externalId is case-exact
    assert ids('emails[type eq "work" and value eq "bob@example.com"]') == [bob["id"]]
    assert ids('emails[type eq "home" and value eq "bob@example.com"]') == []
    assert ids('userName eq "ann@example.com" or userName eq "bob@example.com"') == [ann["id"], bob["id"]]
    assert ids('userName sw "a" and not (active eq false)') == [ann["id"]]
    assert ids(f'id eq "{ann["id"]}"') == [ann["id"]]
    assert ids('userName eq "nobody@example.com"') == []


@pytest.mark.parametrize("expression", [
    'userName eq', 'userName xx "a"', 'nickName eq "a"', 'title pr', '((userName eq "a"',
    'favouriteColour eq "red"',
])
def test_a_filter_that_cannot_be_read_or_is_not_supported_is_invalid_filter(scim, expression):
    assert_error(scim.get("/Users", data={"filter": expression}), 400, "invalidFilter")


def test_pagination_with_start_index_and_count(scim):
    created = [_create(scim, f"p{i}@example.com")["id"] for i in range(5)]
    page = scim.get("/Users", data={"startIndex": "2", "count": "2"}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["id"] for r in page["Resources"]] == created[1:3]
    empty = scim.get("/Users", data={"count": "0"}).json()
    assert empty["totalResults"] == 5 and "Resources" not in empty
    past = scim.get("/Users", data={"startIndex": "50"}).json()
    assert past["totalResults"] == 5 and past["itemsPerPage"] == 0
    capped = scim.get("/Users", data={"count": "100000"}).json()
    assert capped["itemsPerPage"] == 5


def test_attributes_and_excluded_attributes(scim):
    data = _create(scim, title="Engineer")
    only = scim.get(f"/Users/{data['id']}", data={"attributes": "userName"}).json()
    assert set(only) == {"schemas", "id", "userName"}
    without = scim.get("/Users", data={"excludedAttributes": "title,emails"}).json()["Resources"][0]
    assert "title" not in without and "emails" not in without and without["userName"] == "ann@example.com"


def test_search_by_post(scim):
    ann = _create(scim)
    _create(scim, "bob@example.com")
    response = scim.post("/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                            "filter": 'userName eq "ann@example.com"'})
    assert [r["id"] for r in response.json()["Resources"]] == [ann["id"]]


# --- replace (PUT) ---------------------------------------------------------------------------


def test_put_replaces_what_it_asserts(scim):
    data = _create(scim, title="Engineer", **{ENTERPRISE: {"department": "Sales"}})
    body = user_body("ann.lee@example.com", name={"givenName": "Ann", "familyName": "Lee-Stone"})
    response = scim.put(f"/Users/{data['id']}", body)
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=data["id"])
    assert (user.email, user.full_name, user.job_title) == ("ann.lee@example.com", "Ann Lee-Stone", "")
    assert user.team.name == "Sales"  # department not asserted: the team stays
    scim.put(f"/Users/{data['id']}", {**body, ENTERPRISE: {"department": ""}})
    assert User.objects.get(pk=data["id"]).team is None


def test_put_to_a_taken_user_name_changes_nothing(scim):
    UserFactory(email="bob@example.com")
    data = _create(scim, title="Engineer")
    before = _state()
    assert_error(scim.put(f"/Users/{data['id']}", user_body("BOB@example.com", title="Boss")), 409, "uniqueness")
    assert _state() == before


# --- patch ------------------------------------------------------------------------------------


def _shares_waiting(user_id: int) -> list[Share]:
    ann = User.objects.get(pk=user_id)
    return [Share.objects.create(user=ann, item=published_item(), network="linkedin", text="t", final_text="t",
                                 idempotency_key=uuid.uuid4().hex, status=status,
                                 scheduled_for=timezone.now() + timedelta(days=1) if status == "scheduled" else None)
            for status in (ShareStatus.QUEUED, ShareStatus.SCHEDULED)]


@pytest.mark.parametrize("operation", [
    {"op": "replace", "value": {"active": False}},  # Okta
    {"op": "Replace", "path": "active", "value": "False"},  # Entra ID (capitalised op, boolean as a string)
    {"op": "replace", "path": "active", "value": False},
])
def test_patch_active_false_deactivates_at_once(scim, heard, operation, django_capture_on_commit_callbacks):
    data = _create(scim)
    shares = _shares_waiting(int(data["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = scim.patch(f"/Users/{data['id']}", operation)
    assert response.status_code == 200 and response.json()["active"] is False
    assert not User.objects.get(pk=data["id"]).is_active
    assert [(kw["source"], kw["by"]) for kind, kw in heard if kind == "deactivated"] == [("scim", None)]
    assert {Share.objects.get(pk=s.pk).status for s in shares} == {ShareStatus.CANCELLED}
    with django_capture_on_commit_callbacks(execute=True):
        scim.patch(f"/Users/{data['id']}", {"op": "replace", "path": "active", "value": True})
    assert User.objects.get(pk=data["id"]).is_active


def test_patch_forms_entra_id_sends(scim):
    data = _create(scim)
    response = scim.patch(
        f"/Users/{data['id']}",
        {"op": "Replace", "path": "name.givenName", "value": "Anna"},
        {"op": "Add", "path": "title", "value": "Team lead"},
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "anna@example.com"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Marketing"},
        {"op": "Add", "path": "externalId", "value": "oid-9"},
        {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+351 900 000 000"},
    )
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=data["id"])
    assert (user.full_name, user.job_title, user.team.name) == ("Anna Lee", "Team lead", "Marketing")
    assert user.email == "ann@example.com"  # emails are read-only: userName is the sign-in
    assert ProvisionedUser.objects.get(user=user).external_id == "oid-9"
    scim.patch(f"/Users/{data['id']}", {"op": "Remove", "path": f"{ENTERPRISE}:department"})
    assert User.objects.get(pk=data["id"]).team is None


def test_patch_user_name_renames_the_sign_in(scim):
    data = _create(scim)
    scim.patch(f"/Users/{data['id']}", {"op": "replace", "path": "userName", "value": "Ann.New@Example.com"})
    assert User.objects.get(pk=data["id"]).email == "ann.new@example.com"


@pytest.mark.parametrize(("operations", "status", "scim_type"), [
    ([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "replace", "path": "favouriteColour",
                                                            "value": "red"}], 400, "invalidPath"),
    ([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "remove", "path": "active"}], 400, "mutability"),
    ([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "remove", "path": "userName"}], 400, None),
    ([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "replace", "path": "userName",
                                                            "value": "bob@example.com"}], 409, "uniqueness"),
    ([{"op": "move", "path": "title", "value": "Boss"}], 400, "invalidValue"),
    ([{"op": "replace", "path": "title["}], 400, None),
    ([{"op": "replace", "path": "title", "value": "x" * 201}], 400, "invalidValue"),
])
def test_a_bad_patch_changes_nothing_at_all(scim, operations, status, scim_type):
    UserFactory(email="bob@example.com")
    data = _create(scim, title="Engineer")
    before = _state()
    assert_error(scim.patch(f"/Users/{data['id']}", *operations), status, scim_type)
    assert _state() == before


# --- delete -------------------------------------------------------------------------------------


def test_delete_deactivates_detaches_and_a_new_create_takes_the_account_back(
        scim, heard, django_capture_on_commit_callbacks):
    data = _create(scim, **{ENTERPRISE: {"department": "Sales"}})
    shares = _shares_waiting(int(data["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = scim.delete(f"/Users/{data['id']}")
    assert response.status_code == 204 and response.content == b""
    user = User.objects.get(pk=data["id"])  # kept, not anonymised: "Delete account" is an Admin's call
    assert not user.is_active and user.email == "ann@example.com" and user.team.name == "Sales"
    assert [kw["source"] for kind, kw in heard if kind == "deactivated"] == ["scim"]
    assert {Share.objects.get(pk=s.pk).status for s in shares} == {ShareStatus.CANCELLED}
    assert_error(scim.get(f"/Users/{data['id']}"), 404)
    assert_error(scim.delete(f"/Users/{data['id']}"), 404)
    assert scim.get('/Users?filter=userName eq "ann@example.com"').json()["totalResults"] == 0

    again = _create(scim, "ANN@example.com")
    assert again["id"] == data["id"] and User.objects.get(pk=data["id"]).is_active


def test_a_deleted_account_is_gone_for_scim(scim):
    data = _create(scim)
    ann = User.objects.get(pk=data["id"])
    account_delete(user=ann, actor=ann)
    assert_error(scim.get(f"/Users/{data['id']}"), 404)
    assert not ProvisionedUser.objects.filter(user_id=ann.pk).exists()  # erased with the account
