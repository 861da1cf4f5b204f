"""Writes on users: roles, enrolment, deactivation.

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
from accounts.signals import user_deactivated, user_reactivated
from core.audit import record


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


# Where a deactivation came from (``accounts.signals``: "admin", "api", "scim", "sso").
DEACTIVATION_SOURCES = frozenset({"admin", "api", "scim", "sso"})


def active_change_problem(*, editor: User, user: User) -> str | None:
    """Why ``editor`` may not deactivate or reactivate ``user`` (None: they may). Nobody
    changes their own account's access; only a superuser changes a superuser's. (The model
    permission ``accounts.change_user`` is the caller's check.)"""
    if user.pk == editor.pk:
        return "You cannot deactivate or reactivate your own account."
    if user.is_superuser and not editor.is_superuser:
        return "Only a superuser can deactivate or reactivate a superuser."
    return None


def _set_active(*, user: User, active: bool, by: User | None, source: str) -> bool:
    if source not in DEACTIVATION_SOURCES:
        raise ValueError(f"Unknown source {source!r}: one of {', '.join(sorted(DEACTIVATION_SOURCES))}")
    with transaction.atomic():
        # Conditional: of two requests at once, one changes it and announces it.
        changed = User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
        user.is_active = active
        if not changed:
            return False
        record(user, event="user reactivated" if active else "user deactivated",
               changes={"is_active": (not active, active)}, actor=by, extra={"source": source})
        signal = user_reactivated if active else user_deactivated
        transaction.on_commit(lambda: signal.send(sender=User, user=user, by=by, source=source))
    return True


def user_deactivate(*, user: User, by: User | None = None, source: str) -> bool:
    """Deactivate ``user`` now; True if they were active (idempotent).

    From this moment they cannot sign in; their session stops working on its next request
    (the auth backend refuses an inactive user), and so do their API tokens. Once the
    transaction commits, ``accounts.signals.user_deactivated`` tells the layers above,
    which stop what acts in their name: advocacy cancels their queued and scheduled shares
    and revokes their LinkedIn and X connections; notifications already leave inactive
    people out of every email. ``by`` is the person who did it (None for SCIM or a
    worker); ``source`` says which door ("admin", "api", "scim", "sso").
    """
    return _set_active(user=user, active=False, by=by, source=source)


def user_reactivate(*, user: User, by: User | None = None, source: str) -> bool:
    """Let ``user`` sign in again; True if they were inactive (idempotent). Nothing that
    deactivation stopped comes back by itself: cancelled shares stay cancelled and the
    person connects LinkedIn and X again."""
    return _set_active(user=user, active=True, by=by, source=source)
