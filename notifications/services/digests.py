"""Weekly and daily digests: what goes in them, for a whole chunk of advocates at once.

``DigestBuilder`` loads everything a chunk needs in a constant number of queries (live
items with their targeting, the chunk's shares, colleagues' share counts, campaign goals
and team shares); building one advocate's digest from it is pure Python. Last week's
impact comes from ``analytics.impact`` (see ``impacts_for``).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from advocacy.models import Share, ShareStatus
from advocacy.services.onboarding import followed_topic_ids
from analytics import impact as analytics
from analytics.impact import Impact
from content.models import Campaign, ContentItem
from content.progress import GoalProgress, campaign_progress
from notifications.emails import (
    RenderedEmail,
    absolute,
    share_link_url,
    unsubscribe_url,
)
from notifications.models import DeliveryKind, EmailDelivery, Notification
from notifications.services.deliveries import (
    Outgoing,
    SendReport,
    deliveries_claim,
    deliveries_send,
    delivery_send_now,
    register_renderer,
)
from notifications.services.digest_email import DigestRenderer
from notifications.services.schedule import digest_recipients
from notifications.targeting import ItemTargeting, live_items_with_targeting

logger = logging.getLogger(__name__)

NOT_SHARED = [ShareStatus.FAILED, ShareStatus.CANCELLED]  # a failed or cancelled share isn't a share


@dataclass(frozen=True)
class DigestItem:
    item: ContentItem
    is_new: bool
    colleagues: int
    share_url: str
    image_url: str
    summary: str

    def with_share_url(self, url: str) -> "DigestItem":
        return replace(self, share_url=url)


@dataclass
class TeamGoal:
    campaign: Campaign
    progress: list[GoalProgress]
    team_shares: int | None  # None: the advocate has no team


@dataclass
class Digest:
    user: User
    kind: str
    as_of: datetime
    items: list[DigestItem] = field(default_factory=list)
    new_count: int = 0
    impact: Impact | None = None
    goals: list[TeamGoal] = field(default_factory=list)

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) or lost since the week before."""
        if self.impact is None or self.impact.rank is None or self.impact.previous_rank is None:
            return None
        return self.impact.previous_rank - self.impact.rank

    @property
    def subject(self) -> str:
        n = self.new_count
        if self.kind == DeliveryKind.DAILY_DIGEST:
            head = f"Today in {settings.SITE_NAME}"
        else:
            head = f"Your week in {settings.SITE_NAME}"
        subject = f"{head}: {n} new post{'s' if n != 1 else ''} to share" if n else head
        return f"[Test] {subject}" if self.kind == DeliveryKind.TEST_DIGEST else subject


def window(kind: str) -> timedelta:
    return timedelta(days=1) if kind == DeliveryKind.DAILY_DIGEST else timedelta(days=7)


def impacts_for(users: list[User], *, start: datetime, end: datetime) -> dict[int, Impact]:
    """Each advocate's impact, from the analytics app, for a whole chunk at once (a
    constant number of queries). A digest without the impact block beats no digest."""
    try:
        return analytics.advocate_impacts(users, start=start, end=end)
    except Exception:
        logger.exception("impact for %d advocates failed", len(users))
        return {}


class DigestBuilder:
    """Everything the digests of ``users`` need, loaded once."""

    def __init__(self, *, kind: str, users: list[User], as_of: datetime) -> None:
        self.kind = kind
        self.as_of = as_of
        self.new_since = as_of - window(kind)
        self.live: list[tuple[ContentItem, ItemTargeting]] = live_items_with_targeting(
            limit=settings.DIGEST_CANDIDATE_ITEMS
        )
        item_ids = [item.pk for item, _ in self.live]
        # What every advocate's card of an item shares, worked out once per chunk.
        self.card_parts = {
            item.pk: (absolute(item.display_image_url), Truncator(item.summary or item.preview_description).chars(180))
            for item, _ in self.live
        }
        user_ids = [u.pk for u in users]
        self.shared = set(
            Share.objects.filter(user_id__in=user_ids, item_id__in=item_ids)
            .exclude(status__in=NOT_SHARED)
            .values_list("user_id", "item_id")
        )
        # Followed topics rank an item higher (a required topic counts as followed by all).
        self.item_topics: dict[int, set[int]] = defaultdict(set)
        self.required_items: set[int] = set()
        for item_id, topic_id, required in ContentItem.topics.through.objects.filter(
            contentitem_id__in=item_ids
        ).values_list("contentitem_id", "topic_id", "topic__required"):
            self.item_topics[item_id].add(topic_id)
            if required:
                self.required_items.add(item_id)
        self.follows = followed_topic_ids(user_ids)
        self.colleagues = dict(
            Share.objects.filter(item_id__in=item_ids, status=ShareStatus.POSTED)
            .values("item_id")
            .annotate(n=Count("user_id", distinct=True))
            .values_list("item_id", "n")
        )
        self.shared_by: dict[int, set[int]] = defaultdict(set)
        for user_id, item_id in self.shared:
            self.shared_by[user_id].add(item_id)
        # What build() needs of each live item, worked out once: a digest of 500 people
        # otherwise repeats it 500 times (rank_key's order, with and without a followed topic).
        self._candidates = []
        for item, targeting in self.live:
            is_new = bool(item.published_at and item.published_at >= self.new_since)
            colleagues = self.colleagues.get(item.pk, 0)
            self._candidates.append(_Candidate(
                item=item, pk=item.pk, targeting=targeting, is_new=is_new, colleagues=colleagues,
                required=item.pk in self.required_items, topics=frozenset(self.item_topics.get(item.pk, ())),
                key_followed=rank_key((item, is_new, colleagues, True)),
                key_not_followed=rank_key((item, is_new, colleagues, False)),
            ))
        self.impacts: dict[int, Impact] = {}
        self.campaigns: list[tuple[Campaign, list[GoalProgress]]] = []
        self.team_shares: dict[tuple[int, int], int] = {}
        if kind != DeliveryKind.DAILY_DIGEST:
            # Whole UTC days (analytics rolls clicks and points up per day): the 7 days
            # before the digest's day, the same window for everyone in the chunk.
            end = as_of.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            self.impacts = impacts_for(users, start=end - timedelta(days=7), end=end)
            self._load_goals({u.team_id for u in users if u.team_id})

    def _load_goals(self, team_ids: set[int]) -> None:
        candidates = Campaign.objects.filter(status=Campaign.Status.ACTIVE).filter(
            Q(goal_shares__gt=0) | Q(goal_clicks__gt=0)
        ).order_by("-priority", "name")[:10]
        running = [c for c in candidates if c.is_running][:3]
        self.campaigns = [(c, campaign_progress(c)) for c in running]
        if running and team_ids:
            rows = (
                Share.objects.filter(
                    status=ShareStatus.POSTED, item__campaign__in=running, user__team_id__in=team_ids
                )
                .values("user__team_id", "item__campaign_id")
                .annotate(n=Count("pk"))
                .values_list("user__team_id", "item__campaign_id", "n")
            )
            self.team_shares = {(team, campaign): n for team, campaign, n in rows}

    def build(self, user: User) -> Digest:
        user_id = user.pk
        follows = self.follows.get(user_id, set())
        shared = self.shared_by.get(user_id, ())
        ranked = []
        for c in self._candidates:
            if c.pk in shared or not c.targeting.reaches(user):
                continue
            followed = c.required or not c.topics.isdisjoint(follows)
            ranked.append((c.key_followed if followed else c.key_not_followed, c))
        ranked.sort(key=itemgetter(0), reverse=True)  # keys end with the item's pk: no ties
        digest = Digest(user=user, kind=self.kind, as_of=self.as_of)
        digest.new_count = sum(1 for _, c in ranked if c.is_new)
        digest.items = [
            DigestItem(
                item=c.item, is_new=c.is_new, colleagues=c.colleagues,
                share_url=share_link_url(user_id=user_id, item_id=c.pk),
                image_url=self.card_parts[c.pk][0], summary=self.card_parts[c.pk][1],
            )
            for _, c in ranked[: settings.DIGEST_ITEMS]
        ]
        if self.kind != DeliveryKind.DAILY_DIGEST:
            digest.impact = self.impacts.get(user.pk)
            digest.goals = [
                TeamGoal(
                    campaign=campaign, progress=progress,
                    team_shares=self.team_shares.get((user.team_id, campaign.pk), 0) if user.team_id else None,
                )
                for campaign, progress in self.campaigns
            ]
        return digest


@dataclass(frozen=True, slots=True)
class _Candidate:
    item: ContentItem
    pk: int
    targeting: ItemTargeting
    is_new: bool
    colleagues: int
    required: bool  # has a required topic: counts as followed by everyone
    topics: frozenset[int]
    key_followed: tuple
    key_not_followed: tuple


def rank_key(candidate: tuple[ContentItem, bool, int, bool]) -> tuple:
    """Campaign priority, then pinned (marketing's explicit choices), then a topic the
    advocate follows (as in the feed: ``advocacy.selectors.FEED_ORDER``), the item's own
    priority, new this period, how many colleagues shared it, and recency."""
    item, is_new, colleagues, followed = candidate
    campaign_priority = item.campaign.priority if item.campaign_id and item.campaign else 0
    published = item.published_at or datetime.min.replace(tzinfo=UTC)
    return (campaign_priority, item.pinned, followed, item.priority, is_new, colleagues, published, item.pk)


def _as_of(delivery: EmailDelivery) -> datetime:
    """The hour the digest was claimed in: retries show the same week as the first try."""
    return delivery.created_at.replace(minute=0, second=0, microsecond=0)


def render_digests(deliveries: list[EmailDelivery]) -> dict[int, Outgoing]:
    groups: dict[tuple[str, datetime], list[EmailDelivery]] = defaultdict(list)
    for delivery in deliveries:
        groups[(delivery.kind, _as_of(delivery))].append(delivery)
    out: dict[int, Outgoing] = {}
    for (kind, as_of), group in groups.items():
        builder = DigestBuilder(kind=kind, users=[d.user for d in group], as_of=as_of)
        renderer = DigestRenderer()
        for delivery in group:
            try:
                digest = builder.build(delivery.user)
                if not digest.new_count and settings.SKIP_EMPTY_DIGESTS and kind != DeliveryKind.TEST_DIGEST:
                    out[delivery.pk] = Outgoing()
                    continue
                unsubscribe = unsubscribe_url(delivery.pk)
                out[delivery.pk] = Outgoing(
                    email=renderer.render(digest, unsubscribe=unsubscribe), unsubscribe_url=unsubscribe
                )
            except Exception as exc:
                logger.exception("digest %s failed to render", delivery.pk)
                out[delivery.pk] = Outgoing(error=f"render: {type(exc).__name__}: {exc}"[:500])
        if kind == DeliveryKind.WEEKLY_DIGEST:
            _rank_notifications(group, builder)
    return out


def _rank_notifications(deliveries: list[EmailDelivery], builder: DigestBuilder) -> None:
    """The weekly rank, in the notification centre too (once per advocate and week)."""
    rows = []
    for delivery in deliveries:
        impact = builder.impacts.get(delivery.user_id)
        if impact is None or impact.rank is None:
            continue
        change = (impact.previous_rank - impact.rank) if impact.previous_rank is not None else None
        body = (
            f"Up {change} place{'s' if change != 1 else ''} on the week before." if change and change > 0
            else f"Down {-change} place{'s' if change != -1 else ''} on the week before." if change
            else "Same place as the week before." if change == 0
            else "Your first week on the leaderboard."
        )
        rows.append(Notification(
            user_id=delivery.user_id, kind=Notification.Kind.RANK, title=f"You're #{impact.rank} this week",
            body=f"{body} {impact.points} points from {impact.shares} shares.", url=reverse("my_shares"),
            dedupe_key=f"rank:{delivery.period}",
        ))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


def digest_chunk(*, kind: str, period: str, user_ids: list[int], claim_token: str) -> SendReport:
    """Claim and send the ``period`` digests of one chunk. Safe to run twice: the claim is
    unique per (user, kind, period) and only this token's rows are sent.

    Its queries do not grow with the chunk: the builder loads the chunk's data in one go,
    and the outcomes are recorded once for the whole chunk (``record_every=None``; the chunk
    size bounds what a crash mid-send leaves to the retry sweep)."""
    still_due = dict(digest_recipients(kind).filter(pk__in=user_ids).values_list("pk", "email"))
    deliveries_claim(kind=kind, period=period, recipients=still_due, claim_token=claim_token)
    return deliveries_send(claim_token=claim_token, record_every=None)


def digest_preview(*, user: User, kind: str = DeliveryKind.WEEKLY_DIGEST) -> tuple[Digest, RenderedEmail]:
    """What ``user`` would get now (admin preview): nothing is sent or recorded."""
    as_of = timezone.now().replace(minute=0, second=0, microsecond=0)
    digest = DigestBuilder(kind=kind, users=[user], as_of=as_of).build(user)
    return digest, DigestRenderer().render(digest, unsubscribe="#preview-unsubscribe")


def digest_send_test(*, user: User) -> EmailDelivery | None:
    """"Send me a test digest": this week's digest for ``user``, sent now, even if empty."""
    return delivery_send_now(user=user, kind=DeliveryKind.TEST_DIGEST)


for _kind in (DeliveryKind.WEEKLY_DIGEST, DeliveryKind.DAILY_DIGEST, DeliveryKind.TEST_DIGEST):
    register_renderer(_kind, render_digests)
