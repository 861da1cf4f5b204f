"""Writes on users: roles and enrolment."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import ROLES, STAFF_ROLES


@transaction.atomic
def user_set_roles(*, user: User, roles: list[str] | set[str]) -> User:
    """Give ``user`` exactly ``roles``; staff roles can use the marketing admin."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"Unknown role(s): {', '.join(sorted(unknown))}")
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
