"""SCIM /Groups are Chorus teams: create, get, list and filter, members added and removed
(the forms Entra ID and Okta send), replace, delete (the team is kept, emptied)."""

import pytest
from auditlog.models import LogEntry

from accounts.models import Team, User
from content.models import ContentItem
from identity.models import ProvisionedTeam
from tests.factories import TeamFactory, UserFactory, published_item
from tests.identity.scim_support import (
    GROUP_SCHEMA,
    assert_error,
)

pytestmark = pytest.mark.django_db


def _group(scim, name: str, members=(), **extra) -> dict:
    body = {"schemas": [GROUP_SCHEMA], "displayName": name,
            "members": [{"value": str(u.pk), "display": u.full_name} for u in members], **extra}
    response = scim.post("/Groups", body)
    assert response.status_code == 201, response.content
    return response.json()


def _teams() -> list:
    return list(Team.objects.order_by("pk").values_list("pk", "name")) + list(
        User.objects.order_by("pk").values_list("pk", "team_id"))


def test_create_makes_the_team_and_moves_its_members(scim, scim_token):
    old = TeamFactory(name="Old team")
    ann, bob = UserFactory(team=old), UserFactory(team=None)
    data = _group(scim, "Field Sales", [ann, bob], externalId="grp-1")
    team = Team.objects.get(pk=data["id"])
    assert (team.name, team.slug) == ("Field Sales", "field-sales")
    assert set(team.members.all()) == {ann, bob} and not old.members.exists()
    assert ProvisionedTeam.objects.get(team=team).external_id == "grp-1"
    assert data["members"] == [{"value": str(u.pk), "$ref": f"http://testserver/scim/v2/Users/{u.pk}"}
                               for u in sorted([ann, bob], key=lambda u: u.pk)]
    assert data["externalId"] == "grp-1" and data["displayName"] == "Field Sales"
    changes = LogEntry.objects.filter(additional_data__event="team changed by SCIM")
    assert {(e.object_id, tuple(e.changes["team"])) for e in changes} == {
        (ann.pk, ("Old team", "Field Sales")), (bob.pk, ("None", "Field Sales"))}
    assert {e.additional_data["scim_token"] for e in changes} == {scim_token.token.name}


def test_a_taken_name_is_a_409_and_unknown_members_a_400(scim):
    TeamFactory(name="Sales")
    ann = UserFactory(team=None)
    before = _teams()
    assert_error(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "SALES"}), 409, "uniqueness")
    for value in ("999999", "not-a-number"):
        response = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Ops",
                                         "members": [{"value": str(ann.pk)}, {"value": value}]})
        assert_error(response, 400, "invalidValue")
    assert_error(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "x" * 121}), 400, "invalidValue")
    assert _teams() == before


def test_get_list_and_filter(scim):
    sales = TeamFactory(name="Sales")
    ann = UserFactory(team=sales)
    ops = _group(scim, "Ops")
    listed = scim.get("/Groups").json()
    assert listed["totalResults"] == 2
    assert [g["displayName"] for g in listed["Resources"]] == ["Sales", "Ops"]
    assert listed["Resources"][0]["members"] == [{"value": str(ann.pk),
                                                  "$ref": f"http://testserver/scim/v2/Users/{ann.pk}"}]
    found = scim.get("/Groups", data={"filter": 'displayName eq "ops"', "excludedAttributes": "members"}).json()
    assert [g["id"] for g in found["Resources"]] == [ops["id"]]
    member_of = scim.get("/Groups", data={"filter": f'members[value eq "{ann.pk}"]'}).json()
    assert [g["displayName"] for g in member_of["Resources"]] == ["Sales"]
    lean = scim.get(f"/Groups/{sales.pk}", data={"excludedAttributes": "members"}).json()
    assert "members" not in lean and lean["displayName"] == "Sales"
    assert_error(scim.get("/Groups/424242"), 404)
    assert_error(scim.get("/Groups", data={"filter": 'members pr'}), 400, "invalidFilter")


def test_patch_members_as_okta_and_entra_send_them(scim):
    ann, bob, cy = UserFactory(team=None), UserFactory(team=None), UserFactory(team=None)
    gid = _group(scim, "Ops")["id"]

    def members() -> set:
        return set(Team.objects.get(pk=gid).members.values_list("pk", flat=True))

    # Okta: add a list, remove by a filtered path.
    assert scim.patch(f"/Groups/{gid}", {"op": "add", "path": "members",
                                         "value": [{"value": str(ann.pk), "display": "Ann"},
                                                   {"value": str(bob.pk)}]}).status_code == 200
    assert members() == {ann.pk, bob.pk}
    scim.patch(f"/Groups/{gid}", {"op": "remove", "path": f'members[value eq "{ann.pk}"]'})
    assert members() == {bob.pk}
    # Entra ID: capitalised ops, a remove that names its values in "value".
    scim.patch(f"/Groups/{gid}", {"op": "Add", "path": "members", "value": [{"value": str(cy.pk)}]})
    scim.patch(f"/Groups/{gid}", {"op": "Remove", "path": "members", "value": [{"value": str(bob.pk)}]})
    assert members() == {cy.pk}
    # Okta renames with a value object carrying the id.
    response = scim.patch(f"/Groups/{gid}", {"op": "replace", "value": {"id": gid, "displayName": "Operations"}})
    assert response.status_code == 200, response.content
    assert Team.objects.get(pk=gid).name == "Operations" and members() == {cy.pk}
    # All members out.
    scim.patch(f"/Groups/{gid}", {"op": "remove", "path": "members"})
    assert members() == set()


def test_a_bad_patch_changes_nothing(scim):
    ann = UserFactory(team=None)
    TeamFactory(name="Sales")
    gid = _group(scim, "Ops")["id"]
    before = _teams()
    for operations in (
        [{"op": "add", "path": "members", "value": [{"value": str(ann.pk)}]},
         {"op": "replace", "path": "displayName", "value": "Sales"}],  # taken
        [{"op": "add", "path": "members", "value": [{"value": "999999"}]}],
        [{"op": "replace", "path": "displayName", "value": ""}],
        [{"op": "replace", "path": "owner", "value": "x"}],
    ):
        response = scim.patch(f"/Groups/{gid}", *operations)
        assert 400 <= response.status_code < 500 and response.json()["schemas"][0].endswith(":Error"), operations
    assert _teams() == before


def test_put_sets_the_members_exactly(scim):
    ann, bob = UserFactory(team=None), UserFactory(team=None)
    gid = _group(scim, "Ops", [ann])["id"]
    response = scim.put(f"/Groups/{gid}", {"schemas": [GROUP_SCHEMA], "displayName": "Ops team",
                                           "members": [{"value": str(bob.pk)}]})
    assert response.status_code == 200, response.content
    team = Team.objects.get(pk=gid)
    assert team.name == "Ops team" and list(team.members.all()) == [bob]
    assert User.objects.get(pk=ann.pk).team is None


def test_delete_keeps_the_team_for_its_content_and_numbers_but_empties_it(scim):
    ann = UserFactory(team=None)
    gid = _group(scim, "Ops", [ann])["id"]
    team = Team.objects.get(pk=gid)
    item = published_item()
    item.target_teams.set([team])
    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert Team.objects.filter(pk=gid).exists() and not team.members.exists()
    assert list(ContentItem.objects.get(pk=item.pk).target_teams.all()) == [team]  # not "everyone" now
    assert_error(scim.get(f"/Groups/{gid}"), 404)
    assert scim.get("/Groups", data={"filter": 'displayName eq "Ops"'}).json()["totalResults"] == 0
    # The provider creates it again: the same team comes back.
    assert _group(scim, "ops")["id"] == gid
