"""Reads of the content library that depend on who is asking."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from content.models import Campaign, ContentItem, ContentStatus, ShareText, Topic


def targeting_q(user: User) -> Q:
    """Items targeted to ``user``: everyone, or every targeting dimension that is set matches
    (teams OR-ed within the dimension, dimensions AND-ed: "Sales in Berlin").

    Items with a *required* topic reach every advocate whatever their targeting.
    """
    item_teams = ContentItem.target_teams.through.objects.filter(contentitem_id=OuterRef("pk"))
    team_ok = ~Exists(item_teams)
    if user.team_id:
        team_ok |= Exists(item_teams.filter(team_id=user.team_id))
    location = (user.location or "").strip().lower()
    location_ok = Q(target_locations="")
    if location:
        location_ok |= Q(target_locations__contains=f",{location},")
    language = (user.language or "").strip().lower()
    language_ok = Q(target_languages="")
    if language:
        language_ok |= Q(target_languages__contains=f",{language},")
    required = Exists(
        ContentItem.topics.through.objects.filter(contentitem_id=OuterRef("pk"), topic__required=True)
    )
    return Q(target_everyone=True) | (team_ok & location_ok & language_ok) | required


def content_visible_to(
    user: User,
    *,
    topic: Topic | int | None = None,
    campaign: Campaign | int | None = None,
    content_type: str | None = None,
    search: str | None = None,
) -> QuerySet[ContentItem]:
    """Published, unexpired items targeted to ``user``, pinned and newest first.

    The query count is constant however many items, topics and texts there are: one
    query for the items (campaign joined), one each for topics and share texts.
    """
    now = timezone.now()
    qs = ContentItem.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        status=ContentStatus.PUBLISHED,
    ).filter(targeting_q(user))
    if topic:
        qs = qs.filter(topics=topic)
    if campaign:
        qs = qs.filter(campaign=campaign)
    if content_type:
        qs = qs.filter(content_type=content_type)
    if search:
        term = search.strip()[:100]
        qs = qs.filter(
            Q(title__icontains=term) | Q(summary__icontains=term) | Q(preview_title__icontains=term)
            | Q(share_texts__text__icontains=term)
        ).distinct()
    return (
        qs.select_related("campaign")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
            Prefetch("share_texts", queryset=ShareText.objects.order_by("network", "position", "pk")),
        )
        .order_by("-pinned", "-priority", "-published_at", "-pk")
    )


def share_text_variant(item: ContentItem, network: str, user: User) -> ShareText | None:
    """The suggested text offered to ``user``: variants rotate across colleagues.

    Uses the prefetched ``share_texts`` (no query) and is stable for a given user.
    """
    variants = [t for t in item.share_texts.all() if t.network == network]
    if not variants:
        return None
    return variants[(user.pk * 7919 + item.pk) % len(variants)]


def share_text_offered(item: ContentItem, network: str, user: User) -> str:
    """The text ``user`` is offered to share ``item`` on ``network``: their rotating variant
    (``share_text_variant``), else the item's summary, else its title.

    The share dialog, the API and ``share_create`` all start from this text (and a locked
    text is exactly this).
    """
    variant = share_text_variant(item, network, user)
    return variant.text if variant else (item.summary or item.title)
