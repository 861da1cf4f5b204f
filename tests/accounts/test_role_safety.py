"""Role safety in the people admin: only a superuser grants superuser or the Admin role,
nobody raises their own permissions, only a superuser touches a superuser."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import ADMIN, ADVOCATE, APPROVER, CURATOR
from accounts.services.users import groups_grantable_by, user_set_roles
from tests.factories import UserFactory, advocate, curator

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-unusual-passphrase-42"


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root@example.com", PASSWORD, full_name="Root")


@pytest.fixture
def admin_user():
    return UserFactory(roles=[ADMIN], full_name="Ada Admin")


@pytest.fixture
def target():
    return advocate(full_name="Tim Target")


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def group_pks(*names: str) -> list[int]:
    return [Group.objects.get(name=n).pk for n in names]


def group_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def change_data(user: User, **overrides) -> dict:
    """What the change form posts for ``user`` unchanged; overrides replace (None drops)."""
    opted = timezone.localtime(user.advocate_opted_in_at) if user.advocate_opted_in_at else None
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "team": user.team_id or "",
        "location": user.location,
        "timezone": user.timezone,
        "language": user.language,
        "advocate_opted_in_at_0": opted.strftime("%Y-%m-%d") if opted else "",
        "advocate_opted_in_at_1": opted.strftime("%H:%M:%S") if opted else "",
        "notification_preference": user.notification_preference,
        "digest_weekday": user.digest_weekday,
        "digest_hour": user.digest_hour,
        "groups": list(user.groups.values_list("pk", flat=True)),
    }
    for flag in ("is_active", "is_staff", "is_superuser", "leaderboard_opt_out"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def form_of(response):
    return response.context["adminform"].form


def offered_groups(response) -> set[str]:
    return {g.name for g in form_of(response).fields["groups"].queryset}


def role_log_messages(user: User) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(user.pk), action_flag=CHANGE)
        .order_by("pk")
        .values_list("change_message", flat=True)
    )


# --- Superuser: may do everything -------------------------------------------------


def test_superuser_is_offered_admin_role_and_superuser_flag(client, superuser, target):
    client.force_login(superuser)
    response = client.get(change_url(target))
    assert response.status_code == 200
    assert "is_superuser" in form_of(response).fields
    assert {ADVOCATE, CURATOR, APPROVER, ADMIN} <= offered_groups(response)


def test_superuser_grants_admin_role_and_superuser_and_it_is_logged(client, superuser, target):
    client.force_login(superuser)
    response = client.post(
        change_url(target), change_data(target, groups=group_pks(ADMIN), is_superuser="on")
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert group_names(target) == {ADMIN}
    assert target.is_superuser and target.is_staff
    messages = role_log_messages(target)
    assert any("Roles: Advocate → Admin" in m for m in messages), messages
    assert any("superuser: no → yes" in m and "staff: no → yes" in m for m in messages), messages


def test_superuser_edits_another_superuser_and_its_password(client, superuser):
    other = User.objects.create_superuser("other@example.com", PASSWORD, full_name="Other")
    client.force_login(superuser)
    response = client.post(change_url(other), change_data(other, job_title="CTO"))
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.job_title == "CTO" and other.is_superuser
    password_url = reverse("admin:auth_user_password_change", args=[other.pk])
    assert client.get(password_url).status_code == 200


# --- Admin role, not a superuser ----------------------------------------------------


def test_admin_is_not_offered_superuser_permissions_or_the_admin_role(client, admin_user, target):
    client.force_login(admin_user)
    response = client.get(change_url(target))
    assert response.status_code == 200
    fields = form_of(response).fields
    assert "is_superuser" not in fields and "user_permissions" not in fields
    assert offered_groups(response) == {ADVOCATE, CURATOR, APPROVER}


def test_admin_crafted_is_superuser_and_permissions_post_changes_nothing(client, admin_user, target):
    client.force_login(admin_user)
    perm = Permission.objects.get(content_type__app_label="admin", codename="delete_logentry")
    response = client.post(
        change_url(target),
        change_data(target, is_superuser="on", is_staff="on", user_permissions=[perm.pk]),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_superuser
    assert not target.is_staff  # derived from the roles, still only Advocate
    assert not target.user_permissions.exists()
    assert group_names(target) == {ADVOCATE}


def test_admin_crafted_post_granting_admin_role_is_refused(client, admin_user, target):
    client.force_login(admin_user)
    response = client.post(change_url(target), change_data(target, groups=group_pks(ADVOCATE, ADMIN)))
    assert response.status_code == 200  # the admin re-shows the form with its errors
    errors = form_of(response).errors
    assert list(errors) == ["groups"]
    assert "only a superuser can grant the Admin role" in errors["groups"][0]
    target.refresh_from_db()
    assert group_names(target) == {ADVOCATE} and not target.is_staff
    assert role_log_messages(target) == []


def test_groups_with_permissions_the_admin_lacks_are_neither_offered_nor_accepted(client, admin_user, target):
    """A group with a permission the Admin lacks is neither offered nor accepted."""
    ops = Group.objects.create(name="Ops")
    ops.permissions.add(Permission.objects.get(content_type__app_label="admin", codename="delete_logentry"))
    helpers = Group.objects.create(name="Helpers")
    helpers.permissions.add(Permission.objects.get(content_type__app_label="accounts", codename="view_team"))
    assert set(groups_grantable_by(admin_user).values_list("name", flat=True)) == {
        ADVOCATE, CURATOR, APPROVER, "Helpers"
    }
    client.force_login(admin_user)
    assert "Ops" not in offered_groups(client.get(change_url(target)))
    response = client.post(change_url(target), change_data(target, groups=[ops.pk]))
    assert response.status_code == 200 and "groups" in form_of(response).errors
    assert group_names(target) == {ADVOCATE}


def test_admin_grants_curator_and_the_change_is_logged(client, admin_user, target):
    client.force_login(admin_user)
    response = client.post(change_url(target), change_data(target, groups=group_pks(ADVOCATE, CURATOR)))
    assert response.status_code == 302
    target.refresh_from_db()
    assert group_names(target) == {ADVOCATE, CURATOR} and target.is_staff
    entry = LogEntry.objects.filter(object_id=str(target.pk), change_message__startswith="Roles:").get()
    assert entry.user_id == admin_user.pk
    assert entry.change_message == "Roles: Advocate → Advocate, Curator; staff: no → yes."


def test_profile_edit_without_role_change_writes_no_role_entry(client, admin_user, target):
    client.force_login(admin_user)
    assert client.post(change_url(target), change_data(target, job_title="Seller")).status_code == 302
    assert not LogEntry.objects.filter(change_message__startswith="Roles:").exists()


def test_admin_cannot_remove_the_admin_role_of_another_admin(client, admin_user):
    other = UserFactory(roles=[ADMIN, ADVOCATE])
    client.force_login(admin_user)
    assert ADMIN in offered_groups(client.get(change_url(other)))  # shown: the user has it
    response = client.post(change_url(other), change_data(other, groups=group_pks(ADVOCATE)))
    assert response.status_code == 200
    assert form_of(response).errors["groups"] == ["Only a superuser can grant or remove Admin (the Admin role is reserved to superusers)."]
    assert group_names(other) == {ADMIN, ADVOCATE}
    # Editing the rest of that account keeps its Admin role.
    response = client.post(change_url(other), change_data(other, job_title="Ops lead"))
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.job_title == "Ops lead" and group_names(other) == {ADMIN, ADVOCATE} and other.is_staff


def test_admin_sees_own_access_read_only_and_cannot_change_it(client, admin_user):
    client.force_login(admin_user)
    response = client.get(change_url(admin_user))
    assert response.status_code == 200
    fields = form_of(response).fields
    for name in ("groups", "is_staff", "is_active", "is_superuser", "user_permissions"):
        assert name not in fields, name
    # Crafted: demote to Advocate, deactivate, unstaff, become superuser - and a real edit.
    data = change_data(admin_user, groups=group_pks(ADVOCATE), is_superuser="on", job_title="Boss")
    del data["is_active"], data["is_staff"]
    response = client.post(change_url(admin_user), data)
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.job_title == "Boss"
    assert group_names(admin_user) == {ADMIN}
    assert admin_user.is_active and admin_user.is_staff and not admin_user.is_superuser


def test_admin_cannot_edit_a_superuser_or_its_password(client, admin_user, superuser):
    client.force_login(admin_user)
    response = client.get(change_url(superuser))
    assert response.status_code == 200  # view only
    assert response.context["has_change_permission"] is False
    fields = form_of(response).fields  # every field read-only; the password is a disabled display
    assert set(fields) == {"password"} and fields["password"].disabled
    response = client.post(change_url(superuser), change_data(superuser, is_superuser=None, job_title="Pwned"))
    assert response.status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert client.get(password_url).status_code == 403
    response = client.post(password_url, {"password1": "x-New-passphrase-99", "password2": "x-New-passphrase-99"})
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.job_title == "" and superuser.check_password(PASSWORD)


def test_admin_cannot_delete_a_superuser(client, admin_user, superuser, target):
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_user_delete", args=[superuser.pk])).status_code == 403
    assert client.post(reverse("admin:accounts_user_delete", args=[superuser.pk]), {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk, target.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk__in=[superuser.pk, target.pk]).count() == 2
    # A regular account can still be deleted.
    assert client.get(reverse("admin:accounts_user_delete", args=[target.pk])).status_code == 200


def test_invite_action_skips_superusers_unless_a_superuser_sends_it(client, admin_user, superuser):
    invitee = UserFactory(roles=[], advocate_opted_in_at=None)
    changelist = reverse("admin:accounts_user_changelist")
    data = {"action": "send_invitation", "_selected_action": [superuser.pk, invitee.pk]}
    client.force_login(admin_user)
    response = client.post(changelist, data, follow=True)
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert "1 invitation(s) queued." in texts
    assert "1 superuser(s) skipped: only a superuser can invite a superuser." in texts
    superuser.refresh_from_db()
    invitee.refresh_from_db()
    assert invitee.invited_at is not None and superuser.invited_at is None
    client.force_login(superuser)
    client.post(changelist, data)
    superuser.refresh_from_db()
    assert superuser.invited_at is not None


def test_csv_import_cannot_set_a_role(client, admin_user):
    """The import has no role column: extra columns are ignored, everyone starts as Advocate."""
    client.force_login(admin_user)
    csv = b"email,name,role,is_superuser,groups\nnew@example.com,New,Admin,1,Admin\n"
    response = client.post(
        reverse("admin:accounts_user_import"),
        {"file": SimpleUploadedFile("people.csv", csv, content_type="text/csv")},
    )
    assert response.status_code == 302
    new = User.objects.get(email="new@example.com")
    assert group_names(new) == {ADVOCATE} and not new.is_staff and not new.is_superuser


# --- Curator: no people management at all --------------------------------------------


def test_curator_can_only_view_people(client, target):
    cur = curator()
    client.force_login(cur)
    response = client.get(change_url(target))
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    assert client.post(change_url(target), change_data(target, groups=group_pks(ADMIN))).status_code == 403
    own = change_data(cur, groups=group_pks(ADMIN, CURATOR), is_superuser="on")
    assert client.post(change_url(cur), own).status_code == 403
    cur.refresh_from_db()
    assert group_names(cur) == {CURATOR, ADVOCATE} and not cur.is_superuser
    assert group_names(target) == {ADVOCATE}


# --- The service: user_set_roles(by=...) --------------------------------------------


def test_user_set_roles_applies_the_rules_when_told_who_asks(admin_user, superuser, target):
    with pytest.raises(PermissionDenied, match="Admin"):
        user_set_roles(user=target, roles=[ADMIN], by=admin_user)
    with pytest.raises(PermissionDenied, match="your own roles"):
        user_set_roles(user=admin_user, roles=[ADMIN, CURATOR], by=admin_user)
    with pytest.raises(PermissionDenied, match="superuser's roles"):
        user_set_roles(user=superuser, roles=[ADVOCATE], by=admin_user)
    assert group_names(target) == {ADVOCATE}
    user_set_roles(user=target, roles=[CURATOR, ADVOCATE], by=admin_user)
    assert group_names(target) == {CURATOR, ADVOCATE} and target.is_staff
    user_set_roles(user=target, roles=[ADMIN], by=superuser)
    assert group_names(target) == {ADMIN}
    user_set_roles(user=admin_user, roles=[ADMIN], by=admin_user)  # no change: allowed


def test_an_admin_cannot_edit_any_group_to_raise_their_own_permissions(client, admin_user):
    client.force_login(admin_user)
    own = Group.objects.get(name="Admin")
    before = set(own.permissions.values_list("pk", flat=True))
    extra = Permission.objects.exclude(pk__in=before).first()
    url = reverse("admin:auth_group_change", args=[own.pk])
    assert client.post(url, {"name": "Admin", "permissions": [*before, extra.pk]}).status_code == 403
    assert client.post(reverse("admin:auth_group_add"), {"name": "Mine"}).status_code == 403
    assert set(own.permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="Mine").exists()
    assert client.get(url).status_code == 200  # still visible, read-only
