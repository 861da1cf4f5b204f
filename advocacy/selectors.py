"""Reads of the advocacy domain that depend on who is asking."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share, SocialAccount, TopicFollow
from advocacy.models.shares import ShareStatus
from content.models import ContentItem, Topic
from content.selectors import content_visible_to

# What counts as "you shared this" everywhere (the feed's ✓ pills, the share dialog's
# warning, the server's "share again" rule): everything but failed and cancelled.
SHARED_STATUSES = (
    ShareStatus.SCHEDULED, ShareStatus.QUEUED, ShareStatus.POSTING, ShareStatus.POSTED, ShareStatus.UNCONFIRMED,
)
# Still to go out (or going out now): counts as recent whatever its age.
PENDING_STATUSES = (ShareStatus.SCHEDULED, ShareStatus.QUEUED, ShareStatus.POSTING)
# A second share of the same item to the same network within this window needs "share again".
RECENT_SHARE_WINDOW = timedelta(hours=24)


def shares_for_user(user: User) -> QuerySet[Share]:
    return Share.objects.filter(user=user).select_related("item", "account")


def share_for_user(user: User, share_id: int) -> Share | None:
    return shares_for_user(user).filter(pk=share_id).first()


def accounts_for_user(user: User) -> dict[str, SocialAccount]:
    return {a.network: a for a in SocialAccount.objects.filter(user=user)}


def shared_networks_by_item(user: User, item_ids: list[int]) -> dict[int, set[str]]:
    """Which networks ``user`` shared (or is sharing) each item to — one query."""
    out: dict[int, set[str]] = {}
    rows = Share.objects.filter(user=user, item_id__in=item_ids, status__in=SHARED_STATUSES).values_list(
        "item_id", "network"
    )
    for item_id, network in rows:
        out.setdefault(item_id, set()).add(network)
    return out


def recent_shares_by_network(
    user: User, item_id: int, *, networks: list[str] | None = None, now: datetime | None = None
) -> dict[str, Share]:
    """``user``'s latest recent share of the item on each network — one query.

    Recent: scheduled, queued or posting (whenever made: it is still to go out), or posted
    (or awaiting the employee's confirmation) within the last 24 hours. Sharing the item to
    that network again needs the employee's explicit "share again".
    """
    cutoff = (now or timezone.now()) - RECENT_SHARE_WINDOW
    shares = Share.objects.filter(user=user, item_id=item_id).filter(
        Q(status__in=PENDING_STATUSES)
        | Q(status__in=[ShareStatus.POSTED, ShareStatus.UNCONFIRMED], created_at__gte=cutoff)
        | Q(status=ShareStatus.POSTED, posted_at__gte=cutoff)
    )
    if networks is not None:
        shares = shares.filter(network__in=networks)
    out: dict[str, Share] = {}
    for share in shares.order_by("-created_at", "-pk"):
        out.setdefault(share.network, share)
    return out


def posted_link_count(item_id: int) -> int:
    """Tracked links of this item that are on employees' profiles (posted shares)."""
    return Share.objects.filter(item_id=item_id, status=ShareStatus.POSTED).count()


# The feed's order: pinned first (marketing's explicit choice), then items of a topic the
# employee follows (a required topic counts as followed), then priority, then newest.
FEED_ORDER = ("-pinned", "-followed", "-priority", "-published_at", "-pk")


def feed_for_user(
    user: User,
    *,
    topic: Topic | int | None = None,
    campaign: int | None = None,
    content_type: str | None = None,
    search: str | None = None,
) -> QuerySet[ContentItem]:
    """``content_visible_to`` (what ``user`` may see, filtered) in the feed's order
    (``FEED_ORDER``), each item annotated with ``followed``. Still one query for the items."""
    follows = TopicFollow.objects.filter(user=user).values("topic_id")
    followed = Exists(
        ContentItem.topics.through.objects.filter(contentitem_id=OuterRef("pk")).filter(
            Q(topic__required=True) | Q(topic_id__in=follows)
        )
    )
    items = content_visible_to(user, topic=topic, campaign=campaign, content_type=content_type, search=search)
    return items.annotate(followed=followed).order_by(*FEED_ORDER)
