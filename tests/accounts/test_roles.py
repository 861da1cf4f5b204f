import pytest
from django.contrib.auth.models import Group

from accounts.roles import ADMIN, ADVOCATE, APPROVER, CURATOR, ROLES
from tests.factories import UserFactory, advocate, approver, curator

pytestmark = pytest.mark.django_db


def test_the_four_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_advocate_cannot_reach_the_marketing_admin(client):
    client.force_login(advocate())
    for url in ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/import/", "/admin/accounts/team/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url


def test_curator_reaches_admin_but_not_people_management(client):
    user = curator()
    assert user.is_staff
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/import/").status_code == 403
    assert client.get("/admin/accounts/user/add/").status_code == 403


def test_curator_cannot_manage_people():
    cur = curator()
    assert not cur.has_perm("accounts.add_user") and not cur.has_perm("accounts.change_user")
    assert approver().is_staff


def test_admin_role_manages_people(client):
    admin = UserFactory(roles=[ADMIN])
    assert admin.is_staff and admin.has_perm("accounts.add_user") and admin.has_perm("accounts.change_team")
    client.force_login(admin)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/user/import/").status_code == 200


def test_has_role():
    user = UserFactory(roles=[CURATOR, ADVOCATE])
    assert user.has_role(CURATOR) and user.has_role(APPROVER, CURATOR) and not user.has_role(APPROVER)
