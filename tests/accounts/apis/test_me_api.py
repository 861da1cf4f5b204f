"""GET /api/v1/me/ and GET/PATCH /api/v1/me/preferences/: the profile, and the portal's
preferences form (its fields, its rules) behind the API."""

import pytest

from accounts.forms import PreferencesForm
from accounts.models import User
from tests.advocacy.apis.roles import PEOPLE, ROLES, bearer, call
from tests.factories import TeamFactory, UserFactory, advocate

pytestmark = pytest.mark.django_db

ME, PREFS = "/api/v1/me/", "/api/v1/me/preferences/"


def saved(user: User) -> dict:
    return User.objects.filter(pk=user.pk).values(*PreferencesForm._meta.fields, "advocate_opted_in_at").get()


def patch(client, body, **headers):
    return client.patch(PREFS, body, content_type="application/json", **headers)


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url", "body"), [("GET", ME, None), ("GET", PREFS, None),
                                                     ("PATCH", PREFS, {"digest_hour": 7})])
def test_anonymous_is_401(client, method, url, body):
    assert call(client, method, url, body).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_every_role_about_themselves(client, role):
    person = PEOPLE[role]()
    client.force_login(person)
    me = client.get(ME).json()
    assert me["id"] == person.pk and me["email"] == person.email
    assert set(me["roles"]) == set(person.groups.values_list("name", flat=True))
    assert client.get(PREFS).status_code == 200
    assert patch(client, {"digest_hour": 7}).status_code == 200
    assert User.objects.get(pk=person.pk).digest_hour == 7


def test_a_read_only_token_reads_but_never_changes(client):
    me = advocate()
    headers = bearer(me, scope="read")
    assert client.get(ME, **headers).status_code == 200 and client.get(PREFS, **headers).status_code == 200
    before = saved(me)
    assert patch(client, {"digest_hour": 7}, **headers).status_code == 403
    assert saved(me) == before


def test_only_my_own_profile(client):
    me, other = advocate(), advocate()
    client.force_login(me)
    patch(client, {"full_name": "Changed"})
    assert client.get(ME).json()["id"] == me.pk
    assert User.objects.get(pk=other.pk).full_name == other.full_name


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_405(client, method):
    client.force_login(advocate())
    assert call(client, method, PREFS, {}).status_code == 405
    assert call(client, method, ME, {}).status_code == 405


# --- me ---------------------------------------------------------------------------------


def test_me(client):
    person = UserFactory(full_name="Ann Lee", team=TeamFactory(name="Sales"), timezone="Europe/Berlin",
                         job_title="Engineer")
    client.force_login(person)
    body = client.get(ME).json()
    assert body["full_name"] == "Ann Lee" and body["team"] == {"id": person.team_id, "name": "Sales"}
    assert body["timezone"] == "Europe/Berlin" and body["roles"] == ["Advocate"] and body["is_advocate"] is True
    assert body["is_staff"] is False and "password" not in body


# --- preferences ------------------------------------------------------------------------


def test_preferences_are_the_forms_fields(client):
    me = advocate(timezone="Europe/Lisbon")
    client.force_login(me)
    body = client.get(PREFS).json()
    assert set(body) == set(PreferencesForm._meta.fields) | {"advocate"}
    assert body["timezone"] == "Europe/Lisbon" and body["advocate"] is True


def test_a_partial_change_keeps_the_rest(client):
    me = advocate(full_name="Ann Lee", location="Lisbon")
    client.force_login(me)
    response = patch(client, {"notification_preference": "weekly", "digest_weekday": 4, "digest_hour": 8,
                              "leaderboard_opt_out": True})
    assert response.status_code == 200
    row = saved(me)
    assert (row["notification_preference"], row["digest_weekday"], row["digest_hour"]) == ("weekly", 4, 8)
    assert row["leaderboard_opt_out"] is True and row["full_name"] == "Ann Lee" and row["location"] == "Lisbon"
    assert response.json()["leaderboard_opt_out"] is True


def test_opting_out_and_in_as_the_page_does(client):
    me = advocate()
    first = me.advocate_opted_in_at
    client.force_login(me)
    assert patch(client, {"advocate": False}).json()["advocate"] is False
    assert saved(me)["advocate_opted_in_at"] is None
    assert patch(client, {"advocate": True}).json()["advocate"] is True
    assert saved(me)["advocate_opted_in_at"] is not None and first is not None


@pytest.mark.parametrize(("body", "field"), [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"digest_hour": 24}, "digest_hour"),
    ({"digest_hour": "nine"}, "digest_hour"),
    ({"digest_weekday": 9}, "digest_weekday"),
    ({"notification_preference": "carrier_pigeon"}, "notification_preference"),
    ({"full_name": "x" * 201}, "full_name"),
    ({"leaderboard_opt_out": "perhaps"}, "leaderboard_opt_out"),
    ({"email": "new@example.com"}, "email"),
    ({"digest_hour": 7, "timezone": "Nowhere"}, "timezone"),
])
def test_the_forms_rules_and_nothing_changes(client, body, field):
    me = advocate()
    client.force_login(me)
    before = saved(me)
    response = patch(client, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == field and error["message"]
    assert saved(me) == before


def test_the_same_message_as_the_page(client):
    me = advocate()
    client.force_login(me)
    form = PreferencesForm({**{f: getattr(me, f) for f in PreferencesForm._meta.fields}, "digest_hour": 24},
                           instance=User.objects.get(pk=me.pk))
    assert not form.is_valid()
    assert patch(client, {"digest_hour": 24}).json()["error"]["message"] == form.errors["digest_hour"][0]
