"""Writes on users: roles and enrolment.

Role safety: only a superuser grants superuser or the Admin role; nobody else grants
(or takes away) a group holding permissions they lack themselves; a non-superuser
never changes their own roles. ``groups_grantable_by`` and ``role_change_problem``
hold these rules for every door that changes roles (the admin, ``user_set_roles``).
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.roles import ADMIN, ROLES, STAFF_ROLES


def groups_grantable_by(editor: User) -> QuerySet[Group]:
    """The groups ``editor`` may give or take away: all for a superuser; otherwise never
    Admin, nor any group holding a permission ``editor`` lacks."""
    groups = Group.objects.order_by("name")
    if editor.is_superuser:
        return groups
    held = editor.get_all_permissions()
    lacking = {
        group_id
        for group_id, app_label, codename in Group.permissions.through.objects.values_list(
            "group_id", "permission__content_type__app_label", "permission__codename"
        )
        if f"{app_label}.{codename}" not in held
    }
    return groups.exclude(name=ADMIN).exclude(pk__in=lacking)


def role_change_problem(*, editor: User, user: User, before: set[str], after: set[str]) -> str | None:
    """Why ``editor`` may not move ``user`` from groups ``before`` to ``after`` (None if allowed)."""
    if before == after or editor.is_superuser:
        return None
    if user.is_superuser:
        return "Only a superuser can change a superuser's roles."
    if user.pk is not None and user.pk == editor.pk:
        return "You cannot change your own roles."
    grantable = set(groups_grantable_by(editor).values_list("name", flat=True))
    refused = sorted((before ^ after) - grantable)
    if refused:
        return (
            f"Only a superuser can grant or remove {', '.join(refused)}"
            f"{' (the Admin role is reserved to superusers)' if ADMIN in refused else ''}."
        )
    return None


def describe_roles(names: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "no roles"


@transaction.atomic
def user_set_roles(*, user: User, roles: list[str] | set[str], by: User | None = None) -> User:
    """Give ``user`` exactly ``roles``; staff roles can use the marketing admin.

    ``by`` is the person asking: when given, the role safety rules apply
    (``PermissionDenied`` if they are broken). Without it (migrations, demo data,
    tests) the caller is trusted.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"Unknown role(s): {', '.join(sorted(unknown))}")
    if by is not None:
        before = set(user.groups.values_list("name", flat=True))
        problem = role_change_problem(editor=by, user=user, before=before, after=set(roles))
        if problem:
            raise PermissionDenied(problem)
    user.groups.set(Group.objects.filter(name__in=roles))
    user.is_staff = user.is_superuser or bool(STAFF_ROLES.intersection(roles))
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("role_names", None)
    return user


def user_opt_in(*, user: User) -> User:
    """Enrol ``user`` as an advocate (keeps the first opt-in date)."""
    if user.advocate_opted_in_at is None:
        user.advocate_opted_in_at = timezone.now()
        user.save(update_fields=["advocate_opted_in_at"])
    return user


def user_opt_out(*, user: User) -> User:
    """Stop being an advocate: no more notifications or digests."""
    if user.advocate_opted_in_at is not None:
        user.advocate_opted_in_at = None
        user.save(update_fields=["advocate_opted_in_at"])
    return user
