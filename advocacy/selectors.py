"""Reads of the advocacy domain that depend on who is asking."""

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    Exists,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.utils import timezone

from accounts.models import User
from advocacy.feed_cache import FeedOrder
from advocacy.models import FeedVersion, PolicyVersion, Share, SocialAccount, TopicFollow
from advocacy.models.shares import ShareStatus
from content.models import ContentItem, ContentStatus, ShareText, Topic
from content.selectors import content_visible_to
from core.compiled import prepared_cursor

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
    follows: Iterable[int] | None = None,
) -> QuerySet[ContentItem]:
    """``content_visible_to`` (what ``user`` may see, filtered) in the feed's order
    (``FEED_ORDER``), each item annotated with ``followed``. Still one query for the items.
    ``follows``: the topics ``user`` follows, when already read (``feed_person``)."""
    if follows is None:
        follows = TopicFollow.objects.filter(user=user).values("topic_id")
    else:
        follows = sorted(follows)
    followed = Exists(
        ContentItem.topics.through.objects.filter(contentitem_id=OuterRef("pk")).filter(
            Q(topic__required=True) | Q(topic_id__in=follows)
        )
    )
    items = content_visible_to(user, topic=topic, campaign=campaign, content_type=content_type, search=search)
    return items.annotate(followed=followed).order_by(*FEED_ORDER)


@dataclass(frozen=True)
class FeedPerson:
    """What of the person asking decides their feed, besides their targeting (on the user
    row): the feed's version token, the topics they follow, whether they connected any
    network, and the networks they shared (or are sharing) each published item to
    (``SHARED_STATUSES``, as ``shared_networks_by_item``)."""

    token: int | None
    follows: frozenset[int]
    has_account: bool
    shared: dict[int, set[str]]
    extras: dict[str, int] = field(default_factory=dict)
    # With ``policy=True``: the id of the social media policy in force (None: no policy).
    policy_id: int | None = None


# Per-person counts of apps above this one that ride along with the portal feed's one query
# (``feed_person(..., extras=True)``), so the page does not pay a round trip for each:
# name -> a scalar SQL expression with one ``%s``, the user's id. Registered at start-up
# (notifications: the nav badge's unread count); the view hands them on with the request
# (``request.person_extras``), and whoever registered one reads it there.
PERSON_EXTRAS: dict[str, str] = {}


def feed_person(user: User, *, extras: bool = False, policy: bool = False) -> FeedPerson:
    """One query, the first of a feed page: the version token is read before any item (what
    is cached under it is at least as new as it). ``extras``: with ``PERSON_EXTRAS``;
    ``policy``: with the policy version in force (``policy_current``'s: the latest, unless
    emptied — its text is stored stripped)."""
    version, follow, account, share, item = (
        FeedVersion._meta.db_table, TopicFollow._meta.db_table, SocialAccount._meta.db_table,
        Share._meta.db_table, ContentItem._meta.db_table)
    statuses = ", ".join(["%s"] * len(SHARED_STATUSES))
    # Table names and placeholders, no input:
    sql = (
        f"SELECT 0, token, NULL FROM {version} WHERE id = 1 "  # noqa: S608
        f"UNION ALL SELECT 1, topic_id, NULL FROM {follow} WHERE user_id = %s "
        f"UNION ALL SELECT 2, COUNT(*), NULL FROM {account} WHERE user_id = %s "
        f"UNION ALL SELECT 3, s.item_id, s.network FROM {share} s JOIN {item} i ON i.id = s.item_id "
        f"WHERE s.user_id = %s AND s.status IN ({statuses}) AND i.status = %s"
    )
    params = [user.pk, user.pk, user.pk, *SHARED_STATUSES, ContentStatus.PUBLISHED]
    named = sorted(PERSON_EXTRAS.items()) if extras else []
    for name, expression in named:
        sql += f" UNION ALL SELECT 4, ({expression}), %s"
        params += [user.pk, name]
    if policy:
        table = PolicyVersion._meta.db_table
        sql += (f" UNION ALL SELECT 5, id, NULL FROM (SELECT id, text FROM {table} "  # noqa: S608
                f"ORDER BY number DESC LIMIT 1) latest WHERE text <> ''")
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    shared: dict[int, set[str]] = {}
    found: dict[str, int] = {}
    for kind, value, network in rows:
        if kind == 3:
            shared.setdefault(value, set()).add(network)
        elif kind == 4:
            found[network] = value
    return FeedPerson(
        token=next((value for kind, value, _ in rows if kind == 0), None),
        follows=frozenset(value for kind, value, _ in rows if kind == 1),
        has_account=any(kind == 2 and value for kind, value, _ in rows),
        shared=shared,
        extras=found,
        policy_id=next((value for kind, value, _ in rows if kind == 5), None),
    )


def feed_targeting_key(user: User, person: FeedPerson) -> tuple:
    """Everything of ``user`` that ``feed_for_user`` depends on (``targeting_q``: team,
    location, language; the followed topics): people with the same key see the same feed."""
    return (user.team_id, (user.location or "").strip().lower(), (user.language or "").strip().lower(),
            tuple(sorted(person.follows)))


# How many rows of a feed's order a process keeps: the pages people open (20 portal pages,
# 12 API pages of 20); beyond, pages come from the database.
ORDER_DEPTH = 240


def feed_order(items: QuerySet[ContentItem], columns: tuple[str, ...], *,
               distinct: bool) -> tuple[FeedOrder, list[ContentItem]]:
    """The first ``ORDER_DEPTH`` rows of ``items`` (ordered by ``columns``, the last the id)
    as tuples of those columns, how many there are in all and when the first of them
    expires; and those items (campaign joined; ``feed_prepare`` loads the rest): one query
    (two for a ``DISTINCT`` search longer than the depth)."""
    row = namedtuple("FeedRow", columns)  # noqa: PYI024
    window = {} if distinct else {"feed_total": Window(Count("pk")), "feed_expiry": Window(Min("expires_at"))}
    loaded = list(items.prefetch_related(None).select_related("campaign").annotate(**window)[: ORDER_DEPTH + 1])
    complete = len(loaded) <= ORDER_DEPTH
    loaded = loaded[:ORDER_DEPTH]
    if complete:
        total = len(loaded)
        expiries = [item.expires_at for item in loaded if item.expires_at is not None]
        expiry = min(expiries) if expiries else None
    elif window:
        total, expiry = loaded[0].feed_total, loaded[0].feed_expiry
    else:
        summary = items.order_by().aggregate(total=Count("pk", distinct=True), expiry=Min("expires_at"))
        total, expiry = summary["total"], summary["expiry"]
    rows = [row(*(item.pk if name == "pk" else getattr(item, name) for name in columns)) for item in loaded]
    return FeedOrder(rows, complete=complete, total=total, valid_until=expiry), loaded


def feed_light(items: QuerySet[ContentItem]) -> QuerySet[ContentItem]:
    """``items`` reduced to the order's columns, for pages past ``ORDER_DEPTH``."""
    return items.select_related(None).prefetch_related(None).only(
        "pk", "pinned", "priority", "published_at", "created_at")


# What the feed shows of an item beyond its row and campaign, in the order it shows them
# (as ``content_visible_to`` prefetches them).
_FEED_PREFETCH = (
    Prefetch("topics", queryset=Topic.objects.order_by("name")),
    Prefetch("share_texts", queryset=ShareText.objects.order_by("network", "position", "pk")),
)


def feed_items_by_id(ids: list[int]) -> list[ContentItem]:
    """The items with what the feed shows of them — campaign joined, topics (by name) and
    suggested texts: three queries."""
    return list(ContentItem.objects.filter(pk__in=ids).select_related("campaign").prefetch_related(*_FEED_PREFETCH))


def feed_prepare(items: list[ContentItem]) -> None:
    """Load the topics and suggested texts of ``items`` (loaded by ``feed_order``): two queries."""
    prefetch_related_objects(items, *_FEED_PREFETCH)
