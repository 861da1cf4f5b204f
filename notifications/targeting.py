"""Who an item is for: the inverse of ``content.selectors.targeting_q``.

``targeting_q(user)`` answers "which items does this user see?". Fan-out needs "which
users does this item reach?" (one query over users) and digests need "does it reach this
user?" for many users at once (no query at all). Both follow the same rules, and
``tests/notifications/test_targeting.py`` checks all three agree:

- ``target_everyone``, or a *required* topic: every advocate;
- otherwise each dimension that is set must match (teams OR-ed within the dimension,
  dimensions AND-ed); a dimension left empty matches everyone.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from accounts.models import NotificationPreference, User
from content.models import ContentItem, Topic


def enrolled_users() -> QuerySet[User]:
    """Advocates: active employees who opted in. Nobody else is ever notified."""
    return User.objects.filter(is_active=True, advocate_opted_in_at__isnull=False)


@dataclass(frozen=True)
class ItemTargeting:
    """An item's targeting, loaded once; ``reaches(user)`` needs no query."""

    everyone: bool
    team_ids: frozenset[int]
    locations: frozenset[str]
    languages: frozenset[str]

    @classmethod
    def of(cls, item: ContentItem, *, team_ids: Iterable[int], has_required_topic: bool) -> "ItemTargeting":
        return cls(
            everyone=item.target_everyone or has_required_topic,
            team_ids=frozenset(team_ids),
            locations=frozenset(item.target_location_list),
            languages=frozenset(item.target_language_list),
        )

    @classmethod
    def load(cls, item: ContentItem) -> "ItemTargeting":
        return cls.of(
            item,
            team_ids=item.target_teams.values_list("pk", flat=True),
            has_required_topic=item.topics.filter(required=True).exists(),
        )

    def reaches(self, user: User) -> bool:
        if self.everyone:
            return True
        if self.team_ids and user.team_id not in self.team_ids:
            return False
        if self.locations and (user.location or "").strip().lower() not in self.locations:
            return False
        if self.languages and (user.language or "").strip().lower() not in self.languages:
            return False
        return True

    def users_q(self) -> Q:
        """The same rule as a filter on ``User`` (needs the ``_loc``/``_lang`` annotations)."""
        if self.everyone:
            return Q()
        q = Q()
        if self.team_ids:
            q &= Q(team_id__in=sorted(self.team_ids))
        if self.locations:
            q &= Q(_loc__in=sorted(self.locations))
        if self.languages:
            q &= Q(_lang__in=sorted(self.languages))
        return q


def targeted_users(item: ContentItem, targeting: ItemTargeting | None = None) -> QuerySet[User]:
    """Enrolled advocates ``item`` is targeted to (one query when evaluated)."""
    targeting = targeting or ItemTargeting.load(item)
    qs = enrolled_users()
    if not targeting.everyone:
        qs = qs.annotate(_loc=Lower(Trim("location")), _lang=Lower(Trim("language"))).filter(targeting.users_q())
    return qs


# Who hears about an item the moment it is published; daily and weekly readers get it
# in their digest, "none" never.
INSTANT_PREFERENCES = (NotificationPreference.INSTANT_EMAIL, NotificationPreference.IN_APP)


def fanout_recipient_ids(item: ContentItem) -> list[int]:
    """Ids of the advocates to tell about ``item`` now, in a stable order."""
    return list(
        targeted_users(item)
        .filter(notification_preference__in=INSTANT_PREFERENCES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def live_items_with_targeting(*, limit: int) -> list[tuple[ContentItem, ItemTargeting]]:
    """Published, unexpired items (campaign joined) with their targeting: three queries."""
    now = timezone.now()
    items = list(
        ContentItem.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), status="published")
        .select_related("campaign")
        .order_by("-pinned", "-priority", "-published_at", "-pk")[:limit]
    )
    ids = [i.pk for i in items]
    teams: dict[int, set[int]] = {}
    for item_id, team_id in ContentItem.target_teams.through.objects.filter(contentitem_id__in=ids).values_list(
        "contentitem_id", "team_id"
    ):
        teams.setdefault(item_id, set()).add(team_id)
    required = set(
        ContentItem.topics.through.objects.filter(
            contentitem_id__in=ids, topic__in=Topic.objects.filter(required=True)
        ).values_list("contentitem_id", flat=True)
    )
    return [
        (i, ItemTargeting.of(i, team_ids=teams.get(i.pk, ()), has_required_topic=i.pk in required)) for i in items
    ]
