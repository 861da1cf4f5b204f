"""The points ledger: awarding is idempotent by construction.

Each event has a key, and ``(kind, event_key)`` is unique in the database:

===============  ==========================  =========================================
kind             event_key                   quantity
===============  ==========================  =========================================
share            share id                    1
first_share      user id                     1 (the user's earliest posted share)
click            share id : UTC day          unique clicks on that share that day
engagement       share id : UTC day          engagements gained on that share that day
suggestion       suggestion id               1 (when accepted)
===============  ==========================  =========================================

Inserts use ``ignore_conflicts``; accumulating lines (click, engagement) are *set* to the
quantity the raw data gives, never incremented, so a sweep that runs twice — or two
sweeps at once — cannot award anything twice. A line keeps the ``unit_points`` of the
rule in force when it was created.
"""

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share, ShareStatus
from analytics.models import PointsEntry, PointsKind, PointsMonth, PointsRule, ShareDay
from analytics.periods import utc_day
from analytics.services.bulk_sql import points_insert_missing, points_months_insert_all
from content.models import ContentSuggestion, SuggestionStatus

logger = logging.getLogger(__name__)

CHUNK = 400


def active_rules() -> dict[str, int]:
    return dict(PointsRule.objects.filter(active=True).values_list("kind", "points"))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def points_for_shares(*, share_ids: Iterable[int], rules: dict[str, int] | None = None) -> int:
    """Share points and first-share bonuses for the posted shares among ``share_ids``."""
    rules = active_rules() if rules is None else rules
    created = 0
    for chunk in _chunks(share_ids):
        shares = list(
            Share.objects.filter(pk__in=chunk, status=ShareStatus.POSTED, posted_at__isnull=False)
            .values("id", "user_id", "posted_at", "user__team_id")
        )
        entries = []
        if PointsKind.SHARE in rules:
            unit = rules[PointsKind.SHARE]
            entries += [
                PointsEntry(user_id=s["user_id"], team_id=s["user__team_id"], share_id=s["id"],
                            kind=PointsKind.SHARE, event_key=str(s["id"]), day=utc_day(s["posted_at"]),
                            quantity=1, unit_points=unit, points=unit)
                for s in shares
            ]
        if PointsKind.FIRST_SHARE in rules and shares:
            entries += _first_share_entries({s["user_id"] for s in shares}, rules[PointsKind.FIRST_SHARE])
        created += len(PointsEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=500))
        points_months_refresh({(e.user_id, e.day) for e in entries})
    return created


def _first_share_entries(user_ids: set[int], unit: int) -> list[PointsEntry]:
    awarded = set(
        PointsEntry.objects.filter(kind=PointsKind.FIRST_SHARE, event_key__in=[str(u) for u in user_ids])
        .values_list("event_key", flat=True)
    )
    missing = [u for u in user_ids if str(u) not in awarded]
    if not missing:
        return []
    firsts = (
        Share.objects.filter(user_id__in=missing, status=ShareStatus.POSTED, posted_at__isnull=False)
        .values("user_id").annotate(first=Min("posted_at")).order_by()
    )
    teams = dict(User.objects.filter(pk__in=missing).values_list("pk", "team_id"))
    return [
        PointsEntry(user_id=f["user_id"], team_id=teams.get(f["user_id"]), kind=PointsKind.FIRST_SHARE,
                    event_key=str(f["user_id"]), day=utc_day(f["first"]), quantity=1, unit_points=unit, points=unit)
        for f in firsts
    ]


def points_for_share_days(
    *, share_ids: Iterable[int], days: set[date] | None, rules: dict[str, int] | None = None
) -> int:
    """Set the click and engagement lines of ``share_ids`` on ``days`` (all days when
    None) to what ShareDay says. Returns how many lines were created or changed."""
    rules = active_rules() if rules is None else rules
    changed = 0
    kinds = [PointsKind.CLICK, PointsKind.ENGAGEMENT]
    for chunk in _chunks(share_ids):
        posted = set(Share.objects.filter(pk__in=chunk, status=ShareStatus.POSTED).values_list("pk", flat=True))
        rows = ShareDay.objects.filter(share_id__in=chunk)
        # Filtered on the share only (its index), kinds in Python: a planner that picked the
        # (kind, event_key) index instead would read every click line for every chunk.
        existing_lines = PointsEntry.objects.filter(share_id__in=chunk)
        if days is not None:
            rows = rows.filter(day__in=days)
            existing_lines = existing_lines.filter(day__in=days)
        wanted: dict[tuple[str, str], tuple[int, int | None, int, date, int]] = {}
        for r in rows.values("share_id", "day", "user_id", "team_id", "unique_clicks", "reactions",
                             "comments", "reshares"):
            if r["share_id"] not in posted:
                continue
            key = f"{r['share_id']}:{r['day']:%Y%m%d}"
            base = (r["user_id"], r["team_id"], r["share_id"], r["day"])
            wanted[(PointsKind.CLICK, key)] = (*base, r["unique_clicks"])
            wanted[(PointsKind.ENGAGEMENT, key)] = (*base, max(0, r["reactions"] + r["comments"] + r["reshares"]))
        existing = {(e.kind, e.event_key): e for e in existing_lines if e.kind in kinds}
        to_update = []
        for key, line in existing.items():
            quantity = wanted[key][4] if key in wanted else 0
            if line.quantity != quantity:
                line.quantity, line.points, line.updated_at = quantity, quantity * line.unit_points, timezone.now()
                to_update.append(line)
        to_create = [
            PointsEntry(user_id=user_id, team_id=team_id, share_id=share_id, kind=kind, event_key=key, day=day,
                        quantity=quantity, unit_points=rules[kind], points=quantity * rules[kind])
            for (kind, key), (user_id, team_id, share_id, day, quantity) in wanted.items()
            if quantity > 0 and (kind, key) not in existing and kind in rules
        ]
        PointsEntry.objects.bulk_update(to_update, ["quantity", "points", "updated_at"], batch_size=500)
        PointsEntry.objects.bulk_create(to_create, ignore_conflicts=True, batch_size=500)
        points_months_refresh({(e.user_id, e.day) for e in to_update + to_create})
        changed += len(to_update) + len(to_create)
    return changed


def points_for_suggestion(*, suggestion_id: int) -> PointsEntry | None:
    """Award the accepted-suggestion points once (the signal may be sent again)."""
    suggestion = (
        ContentSuggestion.objects.filter(pk=suggestion_id, status=SuggestionStatus.ACCEPTED)
        .select_related("suggested_by").first()
    )
    rules = active_rules()
    if suggestion is None or PointsKind.SUGGESTION not in rules:
        return None
    unit = rules[PointsKind.SUGGESTION]
    entry, created = PointsEntry.objects.get_or_create(
        kind=PointsKind.SUGGESTION, event_key=str(suggestion.pk),
        defaults={
            "user": suggestion.suggested_by, "team_id": suggestion.suggested_by.team_id,
            "day": utc_day(suggestion.reviewed_at or timezone.now()), "quantity": 1, "unit_points": unit,
            "points": unit,
        },
    )
    if created:
        points_months_refresh({(entry.user_id, entry.day)})
    return entry


def points_rebuild_all() -> int:
    """Award everything the raw data justifies (demo data, repairs). Idempotent."""
    rules = active_rules()
    points_insert_missing(rules, timezone.now())  # in the database, set-based
    points_months_insert_all()
    share_ids = list(Share.objects.filter(status=ShareStatus.POSTED).values_list("pk", flat=True))
    total = points_for_share_days(share_ids=share_ids, days=None, rules=rules)  # correct stale quantities
    for suggestion_id in ContentSuggestion.objects.filter(status=SuggestionStatus.ACCEPTED).values_list(
        "pk", flat=True
    ):
        total += points_for_suggestion(suggestion_id=suggestion_id) is not None
    return total


def month_of(day: date) -> date:
    return day.replace(day=1)


def points_months_refresh(pairs: set[tuple[int, date]]) -> None:
    """Re-sum PointsMonth for the (user, day) pairs' months from the ledger."""
    by_month: dict[date, set[int]] = {}
    for user_id, day in pairs:
        by_month.setdefault(month_of(day), set()).add(user_id)
    for month, users in by_month.items():
        end = (month + timedelta(days=32)).replace(day=1)
        for chunk in _chunks(users):
            sums = (
                PointsEntry.objects.filter(user_id__in=chunk, day__gte=month, day__lt=end)
                .values("user_id", "team_id").annotate(total=Sum("points")).order_by()
            )
            rows = [PointsMonth(user_id=r["user_id"], team_id=r["team_id"], month=month, points=r["total"] or 0)
                    for r in sums]
            with transaction.atomic():
                PointsMonth.objects.filter(month=month, user_id__in=chunk).delete()
                PointsMonth.objects.bulk_create(rows)
