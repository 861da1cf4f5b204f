"""Demo activity: a few weeks of plausible shares, clicks and engagement snapshots, so
the analytics pages mean something right after ``make run``.

Everything is written directly (no network call): shares are *posted* with made-up
remote ids, their polling schedule is marked finished, and the rollups and points are
rebuilt from the rows at the end. Deterministic (a fixed random seed) and idempotent:
a second run finds the demo shares and does nothing.
"""

import math
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from advocacy.models import AccountStatus, Share, ShareStatus, SocialAccount
from analytics.models import (
    ApiUsage,
    Click,
    ClickKind,
    Device,
    EngagementSnapshot,
    EnrolmentSnapshot,
    ShareMetrics,
)
from analytics.periods import utc_day
from analytics.services.enrolment import enrolment_snapshot, headcounts
from analytics.services.rollups import posted_cursor_to_end, share_days_rebuild_all
from content.models import ContentItem, ShareText
from demo.content import demo_site_url
from sandbox.presets import preset_connection

KEY_PREFIX = "demo-activity-"
# The demo logins connect for real through the sandbox, so they get no fake connections.
LOGIN_EMAILS = {"admin@chorus.example", "curator@chorus.example", "approver@chorus.example",
                "emma.employee@chorus.example"}
DEVICES = [(Device.MOBILE, 55), (Device.DESKTOP, 38), (Device.TABLET, 7)]
REFERRERS = {"linkedin": [("linkedin.com", 55), ("lnkd.in", 15), ("", 30)],
             "x": [("t.co", 60), ("x.com", 10), ("", 30)]}
POLL_OFFSETS = [timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=3), timedelta(days=7),
                timedelta(days=30)]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


@transaction.atomic
def seed_activity(*, days: int = 28, seed: int = 2026) -> int:
    """Create the demo activity once; returns how many shares were created."""
    if Share.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (deterministic demo data, not security)
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=days)
    # Only the demo's own people and items (seed_people, seed_content) are touched.
    people = list(User.objects.filter(is_active=True, advocate_opted_in_at__isnull=False,
                                      email__endswith="@chorus.example").order_by("pk"))
    items = list(
        ContentItem.objects.filter(status__in=["published", "expired", "archived"], published_at__isnull=False,
                                   url__startswith=demo_site_url("")).order_by("pk")
    )
    if not people or not items:
        return 0
    _backdate_enrolment(rng, people, now, days)
    _spread_publication(items, now, days)
    accounts = _connect(rng, people, now)
    texts = defaultdict(list)
    for t in ShareText.objects.filter(item__in=items):
        texts[(t.item_id, t.network)].append(t.text)

    shares = _shares(rng, people, items, accounts, texts, start, now)
    Share.objects.bulk_create(shares, batch_size=500)
    shares = list(Share.objects.filter(idempotency_key__startswith=KEY_PREFIX).select_related("user", "item"))
    for share in shares:  # created_at is set on insert; make it match the story
        share.created_at = share.posted_at - timedelta(minutes=1)
    Share.objects.bulk_update(shares, ["created_at"], batch_size=500)

    analytics_accounts = {a.user_id for a in accounts if a.network == "linkedin" and "r_member_postAnalytics" in a.scopes}
    Click.objects.bulk_create(_clicks(rng, shares, now), batch_size=1000)
    snapshots, metrics, usage = _engagement(rng, shares, analytics_accounts, now)
    EngagementSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    ShareMetrics.objects.bulk_create(metrics, batch_size=500)
    ApiUsage.objects.bulk_create(usage)
    _enrolment_history(start, now)
    share_days_rebuild_all()
    posted_cursor_to_end()
    return len(shares)


def _backdate_enrolment(rng: random.Random, people: list[User], now: datetime, days: int) -> None:
    """Opt-ins spread over the weeks before, so participation history shows growth."""
    for person in people:
        if person.email in LOGIN_EMAILS:
            person.advocate_opted_in_at = now - timedelta(days=days + 14)
        else:
            person.advocate_opted_in_at = now - timedelta(days=rng.randint(2, days + 40), hours=rng.randint(0, 23))
    User.objects.bulk_update(people, ["advocate_opted_in_at"])


def _spread_publication(items: list[ContentItem], now: datetime, days: int) -> None:
    """Demo items were all published in the last fortnight; spread them over the demo
    weeks (same order) so early shares have something to share."""
    items.sort(key=lambda i: (i.published_at, i.pk))
    for rank, item in enumerate(items):
        item.published_at = now - timedelta(days=days + 3) * (1 - rank / len(items)) - timedelta(hours=1)
        item.approved_at = item.published_at
    ContentItem.objects.bulk_update(items, ["published_at", "approved_at"])


def _connect(rng: random.Random, people: list[User], now: datetime) -> list[SocialAccount]:
    """Sandbox connections for the employees nobody logs in as (they can post on the sandbox)."""
    existing = {(a.user_id, a.network) for a in SocialAccount.objects.filter(user__in=people)}
    created = []
    others = [p for p in people if p.email not in LOGIN_EMAILS]
    for index, person in enumerate(others):
        for network in ("linkedin", "x"):
            if (person.pk, network) in existing or (network == "x" and index % 3 == 1):
                continue
            status, expires = AccountStatus.ACTIVE, now + timedelta(days=rng.randint(20, 55))
            if network == "linkedin" and index in (2, 9):
                status, expires = AccountStatus.EXPIRING, now + timedelta(days=rng.randint(2, 6))
            if network == "x" and index == 5:
                status = AccountStatus.NEEDS_RECONNECT
            scopes = (
                "openid profile email w_member_social" + (" r_member_postAnalytics" if index % 2 else "")
                if network == "linkedin" else "tweet.read tweet.write users.read offline.access"
            )
            # Tokens the sandbox networks accept on any start, so these people can really post.
            preset = preset_connection(network, person.full_name, scopes=scopes.split(),
                                       expires_at=expires.timestamp())
            created.append(SocialAccount(
                user=person, network=network, remote_id=preset["remote_id"],
                handle=preset["handle"] or person.email.split("@")[0].replace(".", "_")[:15],
                display_name=person.full_name,
                audience_size=rng.randint(250, 3500) if network == "linkedin" else rng.randint(80, 6000),
                scopes=preset["scopes"], access_token=preset["access_token"],
                refresh_token=preset["refresh_token"] or "", expires_at=expires, status=status,
                connected_at=now - timedelta(days=rng.randint(10, 40)),
                last_error="The connection has expired." if status == AccountStatus.NEEDS_RECONNECT else "",
            ))
    SocialAccount.objects.bulk_create(created)
    return list(SocialAccount.objects.filter(user__in=people))


def _shares(rng, people, items, accounts, texts, start, now) -> list[Share]:
    by_user = defaultdict(dict)
    for account in accounts:
        by_user[account.user_id][account.network] = account
    keen = {p.pk: 0.3 if p.email in LOGIN_EMAILS else rng.choice([0.08, 0.15, 0.25, 0.4]) for p in people}
    shares, n, taken = [], 0, set()
    day = start
    while day < now:
        weekday_factor = 0.35 if day.weekday() >= 5 else 1.0
        for person in people:
            if person.advocate_opted_in_at and person.advocate_opted_in_at > day:
                continue
            if rng.random() > keen[person.pk] * weekday_factor:
                continue
            live = [i for i in items if i.published_at <= day]
            if not live:
                continue
            item = rng.choice(live[-12:])
            networks = list(by_user[person.pk]) or ["linkedin", "x"]
            for network in networks if rng.random() < 0.3 else [rng.choice(networks)]:
                account = by_user[person.pk].get(network)
                if (person.pk, item.pk, network) in taken or (account and account.status != AccountStatus.ACTIVE
                                                              and rng.random() < 0.5):
                    continue
                taken.add((person.pk, item.pk, network))
                posted_at = day.replace(hour=rng.randint(7, 19), minute=rng.randint(0, 59))
                if posted_at >= now:
                    continue
                n += 1
                text = rng.choice(texts.get((item.pk, network)) or [item.title])
                remote_id = (f"urn:li:share:7{rng.randrange(10**17, 10**18)}" if network == "linkedin"
                             else str(rng.randrange(10**18, 2 * 10**18)))
                shares.append(Share(
                    user=person, item=item, network=network, account=account, text=text,
                    final_text=f"{text} {settings.SITE_URL}/r/…", idempotency_key=f"{KEY_PREFIX}{n}",
                    status=ShareStatus.POSTED, posted_at=posted_at, remote_id=remote_id,
                    audience_size=account.audience_size if account else (900 if network == "linkedin" else 1400),
                    cost_estimate=Decimal(str(settings.X_COST_POST_WITH_URL)) if network == "x" else Decimal("0"),
                    attempts=1,
                ))
        day += timedelta(days=1)
    return shares


def _clicks(rng, shares, now) -> list[Click]:
    clicks = []
    for share in shares:
        rate = rng.uniform(0.002, 0.012) * (1.4 if share.item.campaign_id else 1.0)
        total = int((share.audience_size or 500) * rate) + rng.randint(0, 3)
        visitors = [uuid.uuid4().hex for _ in range(max(1, int(total * 0.85)))]
        for _ in range(total):
            at = share.posted_at + timedelta(hours=rng.expovariate(1 / 20))
            if at >= now:
                continue
            clicks.append(Click(
                event_id=uuid.uuid4(), share=share, occurred_at=at, day=utc_day(at), kind=ClickKind.CLICK,
                visitor_key=rng.choice(visitors), device=_pick(rng, DEVICES),
                referrer_domain=_pick(rng, REFERRERS[share.network]),
            ))
        for _ in range(rng.randint(1, 3)):  # link unfurls by the networks and chat apps
            at = share.posted_at + timedelta(seconds=rng.randint(2, 600))
            clicks.append(Click(event_id=uuid.uuid4(), share=share, occurred_at=at, day=utc_day(at),
                                kind=ClickKind.BOT, device=Device.BOT, referrer_domain=""))
    return clicks


def _engagement(rng, shares, analytics_accounts, now):
    snapshots, metrics, reads = [], [], defaultdict(int)
    for share in shares:
        reported = share.network == "x" or share.user_id in analytics_accounts
        row = ShareMetrics(share=share, posted_day=utc_day(share.posted_at), team_id=share.user.team_id,
                           campaign_id=share.item.campaign_id, stage=len(POLL_OFFSETS), next_poll_at=None,
                           note="Demo data: not polled.")
        metrics.append(row)
        if not reported:
            continue
        plateau = (share.audience_size or 500) * rng.uniform(0.3, 1.4)
        like, comment, reshare = rng.uniform(0.01, 0.04), rng.uniform(0.001, 0.006), rng.uniform(0.001, 0.004)
        previous = {"reactions": 0, "comments": 0, "reshares": 0, "impressions": 0}
        for offset in POLL_OFFSETS:
            at = share.posted_at + offset
            if at > now:
                break
            seen = int(plateau * (1 - math.exp(-offset.total_seconds() / 36000)))
            totals = {"reactions": int(seen * like), "comments": int(seen * comment),
                      "reshares": int(seen * reshare), "impressions": seen}
            snapshots.append(EngagementSnapshot(
                share=share, taken_at=at, day=utc_day(at), **totals,
                members_reached=int(seen * 0.7) if share.network == "linkedin" else None,
                d_reactions=totals["reactions"] - previous["reactions"],
                d_comments=totals["comments"] - previous["comments"],
                d_reshares=totals["reshares"] - previous["reshares"],
                d_impressions=totals["impressions"] - previous["impressions"],
            ))
            previous = totals
            row.polls += 1
            row.last_polled_at = at
            if share.network == "x":
                reads[utc_day(at)] += 1
                row.last_read_day = utc_day(at)
        row.reactions, row.comments, row.reshares = previous["reactions"], previous["comments"], previous["reshares"]
        row.impressions = previous["impressions"] if row.polls else None
    cost = Decimal(str(settings.X_COST_READ))
    usage = [ApiUsage(day=day, network="x", calls=max(1, math.ceil(n / 100)), posts_read=n, billed_reads=n,
                      cost=n * cost) for day, n in reads.items()]
    return snapshots, metrics, usage


def _enrolment_history(start: datetime, now: datetime) -> None:
    """Snapshots for the demo weeks, as the (backdated) opt-in dates say they were."""
    teams = list(User.objects.exclude(team=None).values_list("team_id", flat=True).order_by().distinct())
    rows = []
    day = utc_day(start)
    while day < utc_day(now):
        counts = headcounts(at=day)
        for team_id in [None, *teams]:
            rows.append(EnrolmentSnapshot(day=day, team_id=team_id, **counts.get(team_id, {})))
        day += timedelta(days=1)
    EnrolmentSnapshot.objects.filter(day__gte=utc_day(start), day__lt=utc_day(now)).delete()
    EnrolmentSnapshot.objects.bulk_create(rows)
    enrolment_snapshot(now=now)
