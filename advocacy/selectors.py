"""Reads of the advocacy domain that depend on who is asking."""

from django.db.models import QuerySet

from accounts.models import User
from advocacy.models import Share, SocialAccount


def shares_for_user(user: User) -> QuerySet[Share]:
    return Share.objects.filter(user=user).select_related("item", "account")


def share_for_user(user: User, share_id: int) -> Share | None:
    return shares_for_user(user).filter(pk=share_id).first()


def accounts_for_user(user: User) -> dict[str, SocialAccount]:
    return {a.network: a for a in SocialAccount.objects.filter(user=user)}


def shared_networks_by_item(user: User, item_ids: list[int]) -> dict[int, set[str]]:
    """Which networks ``user`` shared (or is sharing) each item to — one query."""
    out: dict[int, set[str]] = {}
    rows = Share.objects.filter(user=user, item_id__in=item_ids).exclude(
        status__in=["failed", "cancelled"]
    ).values_list("item_id", "network")
    for item_id, network in rows:
        out.setdefault(item_id, set()).add(network)
    return out
