"""Analytics at scale: bulk-seed shares and clicks, build the rollups, time the dashboards.

    .venv/bin/python bench/analytics_bench.py                       # 200,000 shares, 2,000,000 clicks, SQLite
    .venv/bin/python bench/analytics_bench.py --shares 50000 --clicks-per-share 10
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/chorus_bench .venv/bin/python bench/analytics_bench.py
    .venv/bin/python bench/analytics_bench.py --shares 1000000 --keep-db       # 1M shares, 10M clicks
    DATABASE_URL=sqlite:////tmp/…/bench.sqlite3 .venv/bin/python bench/analytics_bench.py --reuse --skip-rebuild

Seeds a year of activity into a throw-away database: advocates in 20 teams, 40 campaigns,
2,000 items, shares spread over 365 days (both networks), clicks spread over the days after
each share (about 85% unique visitors), and engagement snapshots for X shares. Then:

1. the full rollup rebuild from raw rows (what a bulk import or a repair runs),
2. the incremental sweep after a minute of traffic (what beat runs every minute),
3. every dashboard query for the last 28 days and for all time, the whole analytics page
   through Django, My impact, and the leaderboards.

Prints the figures; not a test.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str, *, reuse: bool = False) -> None:
    os.environ.setdefault("DEBUG", "1")  # development defaults for secrets; DEBUG itself is turned off below
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")  # no Redis: the sweep runs without it
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command

    if database_url.startswith("postgres") and not reuse:
        from django.db import connection

        with connection.cursor() as cursor:  # a clean schema (flush would also drop the migrations' defaults)
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


class Timer:
    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        print(f"  {self.label:<52}{self.seconds:>9.2f} s", flush=True)


def fast_insert(model, columns: list[str], values: list[tuple]) -> None:
    """executemany with values prepared by the fields themselves: building model instances
    and bulk_create's per-row SQL compilation would dominate the seeding time."""
    from django.db import connection, transaction

    fields = [model._meta.get_field(c) for c in columns]
    names, marks = ", ".join(f.column for f in fields), ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})"  # noqa: S608  (our own names)
    preps = [f.get_db_prep_save for f in fields]
    rows = [[prep(v, connection) for prep, v in zip(preps, row, strict=True)] for row in values]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), 10000):
            cursor.executemany(sql, rows[start:start + 10000])


def seed(shares: int, clicks_per_share: int, rng: random.Random) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db.models import F

    from accounts.models import Team, User
    from advocacy.models import Share, SocialAccount
    from analytics.models import Click, EngagementSnapshot
    from content.models import Campaign, ContentItem

    now = datetime.now(tz=UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    users_n = max(50, shares // 20)
    teams = Team.objects.bulk_create([Team(name=f"Team {i}", slug=f"team-{i}") for i in range(20)])
    campaigns = Campaign.objects.bulk_create([
        Campaign(name=f"Campaign {i}", slug=f"campaign-{i}", status="active", goal_shares=5000, goal_clicks=50000)
        for i in range(40)
    ])
    items = ContentItem.objects.bulk_create([
        ContentItem(title=f"Item {i}", url=f"https://example.com/{i}", status="published",
                    campaign=campaigns[i % 40] if i % 3 else None, published_at=year_ago + timedelta(hours=4 * i))
        for i in range(2000)
    ], batch_size=1000)
    password = make_password("bench")
    users = User.objects.bulk_create([
        User(email=f"a{i}@bench.example", full_name=f"Advocate {i}", team=teams[i % 20], password=password,
             advocate_opted_in_at=year_ago - timedelta(days=rng.randint(0, 300)), invited_at=year_ago,
             leaderboard_opt_out=(i % 25 == 0))
        for i in range(users_n)
    ], batch_size=2000)
    SocialAccount.objects.bulk_create([
        SocialAccount(user=u, network="linkedin", remote_id=f"m{u.pk}", access_token="x", audience_size=800,  # noqa: S106
                      status="active" if i % 30 else "reconnect", expires_at=now + timedelta(days=i % 60))
        for i, u in enumerate(users)
    ], batch_size=2000)

    share_rows, click_rows, snap_rows = 0, 0, 0
    batch = []
    for n in range(shares):
        posted = year_ago + timedelta(seconds=rng.randint(0, 365 * 86400 - 3600))
        item = items[min(1999, max(0, int((posted - year_ago).total_seconds() // (4 * 3600)) - rng.randint(0, 40)))]
        network = "x" if n % 3 == 0 else "linkedin"
        batch.append(Share(
            user=users[rng.randrange(users_n)], item=item, network=network, text="t", final_text="t",
            idempotency_key=f"b{n}", status="posted", posted_at=posted,
            remote_id=str(10**17 + n) if network == "x" else f"urn:li:share:{n}",
            audience_size=rng.randint(100, 5000),
        ))
        if len(batch) == 5000 or n == shares - 1:
            created = Share.objects.bulk_create(batch)
            share_rows += len(created)
            clicks, snaps = [], []
            for share in created:
                total = max(0, int(rng.expovariate(1 / clicks_per_share)))
                visitors = [uuid.uuid4().hex for _ in range(max(1, int(total * 0.85)))]
                for _ in range(total):
                    at = share.posted_at + timedelta(hours=min(rng.expovariate(1 / 18), 24 * 20))
                    if at >= now:
                        continue
                    clicks.append((uuid.uuid4(), share.pk, at, at.date(), 1, rng.choice(visitors), "mobile", "t.co"))
                if share.network == "x":
                    previous = 0
                    for hours in (1, 24, 168):
                        at = share.posted_at + timedelta(hours=hours)
                        if at >= now:
                            break
                        seen = share.audience_size * hours // 200
                        snaps.append((share.pk, at, at.date(), seen // 50, 0, 0, seen, seen // 50 - previous // 50,
                                      0, 0, seen - previous))
                        previous = seen
            fast_insert(Click, ["event_id", "share", "occurred_at", "day", "kind", "visitor_key", "device",
                                "referrer_domain"], clicks)
            fast_insert(EngagementSnapshot, ["share", "taken_at", "day", "reactions", "comments", "reshares",
                                             "impressions", "d_reactions", "d_comments", "d_reshares",
                                             "d_impressions"], snaps)
            click_rows += len(clicks)
            snap_rows += len(snaps)
            batch = []
            print(f"    seeded {share_rows:,} shares, {click_rows:,} clicks, {snap_rows:,} snapshots", end="\r",
                  flush=True)
    print()
    # Shares were posted over the year, not all just now (the sweep reads by updated_at).
    Share.objects.update(updated_at=F("posted_at"), created_at=F("posted_at"))
    return {"users": users_n, "shares": share_rows, "clicks": click_rows, "snapshots": snap_rows,
            "user": users[7]}


def existing() -> dict:
    # A database emptied by an older run's flush lost the migrations' defaults: put them back.
    import importlib

    from django.apps import apps as django_apps
    from django.db import connection

    importlib.import_module("analytics.migrations.0002_defaults").forwards(django_apps, connection.schema_editor())
    from accounts.models import User
    from advocacy.models import Share
    from analytics.models import Click, EngagementSnapshot

    users = list(User.objects.filter(email__endswith="@bench.example").order_by("pk")[:8])
    return {"users": User.objects.count(), "shares": Share.objects.count(), "clicks": Click.objects.count(),
            "snapshots": EngagementSnapshot.objects.count(), "user": users[7]}


def best(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shares", type=int, default=200_000)
    parser.add_argument("--clicks-per-share", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-db", action="store_true", help="keep the SQLite file (its path is printed)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data of a previous run (PostgreSQL, or the SQLite file in DATABASE_URL): "
                             "skip seeding, rebuild and time again")
    parser.add_argument("--skip-rebuild", action="store_true",
                        help="with --reuse: keep ShareDay and the ledger, only re-sum the daily tables from ShareDay")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="chorus-analytics-bench-")
    try:
        run(args, folder)
    finally:
        if args.keep_db:
            print(f"database kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, folder: str) -> None:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    reuse = args.reuse and "DATABASE_URL" in os.environ
    setup(database_url, reuse=reuse)
    from django.db import connection

    rng = random.Random(args.seed)  # noqa: S311
    print(f"database: {connection.vendor}")
    if reuse:
        data = existing()
    else:
        with Timer("seed (bulk inserts)"):
            data = seed(args.shares, args.clicks_per_share, rng)
    print(f"  rows: {data['shares']:,} shares · {data['clicks']:,} clicks · {data['snapshots']:,} snapshots · "
          f"{data['users']:,} advocates")

    from django.db.models import Count

    from analytics.models import Click, DailyTotals, ItemDay, PointsEntry, ShareDay
    from analytics.services.enrolment import enrolment_snapshot
    from analytics.services.rollups import (
        posted_cursor_to_end,
        rollup_run,
        share_days_rebuild_all,
    )

    if reuse and args.skip_rebuild:
        from analytics.services.rollups import daily_totals_rebuild

        with Timer("re-sum DailyTotals and ItemDay from ShareDay"):
            daily_totals_rebuild(set(), everything=True)
    else:
        with Timer("full rollup rebuild (ShareDay, DailyTotals, ItemDay, points)"):
            share_days_rebuild_all()
    posted_cursor_to_end()
    enrolment_snapshot()
    print(f"  rollup rows: {ShareDay.objects.count():,} share-days · {DailyTotals.objects.count():,} daily totals · "
          f"{ItemDay.objects.count():,} item-days · {PointsEntry.objects.count():,} ledger lines")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # A minute of traffic: ten times the average rate of the seeded year, on recent shares.
    per_minute = max(10, data["clicks"] // (365 * 24 * 60)) * 10
    recent = list(ShareDay.objects.filter(shares=1).order_by("-day").values_list("share_id", flat=True)[:500])
    # The first sweep after the bulk load also re-reads the last ID_OVERLAP seeded clicks
    # (spread over the whole year); in steady state that overlap holds the previous minutes.
    from analytics.services.rollups import ID_OVERLAP

    for label, count in (("sweep right after the bulk load", ID_OVERLAP + per_minute),
                         ("steady-state sweep", per_minute)):
        now = datetime.now(tz=UTC)
        Click.objects.bulk_create([
            Click(event_id=uuid.uuid4(), share_id=rng.choice(recent), occurred_at=now, day=now.date(),
                  visitor_key=uuid.uuid4().hex, device="desktop") for _ in range(count)
        ])
        with Timer(f"{label}: {count} new clicks"):
            rollup_run()

    from django.test import Client

    from accounts.roles import CURATOR
    from accounts.services.users import user_set_roles
    from analytics.periods import DateRange, calendar_period, utc_day
    from analytics.selectors import dashboard as board
    from analytics.selectors import impact as mine
    from analytics.selectors.dashboard import Filters
    from analytics.selectors.leaderboards import leaderboard, rank_of, team_leaderboard

    today = utc_day(now)
    busiest_team = ShareDay.objects.values("team_id").annotate(n=Count("pk")).order_by("-n")[0]["team_id"]
    windows = {
        "last 28 days": Filters(DateRange(today - timedelta(days=27), today)),
        "last 28 days, one team + X": Filters(DateRange(today - timedelta(days=27), today), team_id=busiest_team,
                                              network="x"),
        "last 365 days": Filters(DateRange(today - timedelta(days=364), today)),
    }
    print("\nquery times (median of 3, seconds)")
    header = f"  {'query':<34}" + "".join(f"{name:>28}" for name in windows)
    print(header)
    queries = {
        "KPI tiles (incl. EMV)": lambda f: board.kpis(f),
        "shares & clicks per day": lambda f: board.daily_series(f),
        "top content (10)": lambda f: list(board.top_content(f)),
        "top advocates (10)": lambda f: list(board.top_advocates(f)),
        "teams table": lambda f: board.teams_table(f),
        "campaign progress": lambda f: board.campaign_progress(campaign_id=f.campaign_id),
        "adoption funnel": lambda f: board.adoption_funnel(team_id=f.team_id),
        "connection health": lambda f: board.connection_health(team_id=f.team_id),
    }
    for label, query in queries.items():
        cells = [best(lambda q=query, f=f: q(f))[0] for f in windows.values()]
        print(f"  {label:<34}" + "".join(f"{c:>28.3f}" for c in cells))

    client = Client()
    staff = data["user"]
    staff.is_staff = True
    staff.save()
    user_set_roles(user=staff, roles=[CURATOR])
    client.force_login(staff)
    client.get("/analytics/")
    page, _ = best(lambda: client.get("/analytics/"))
    page_all, _ = best(lambda: client.get("/analytics/", {"start": (today - timedelta(days=364)).isoformat(),
                                                         "end": today.isoformat()}))
    impact, _ = best(lambda: client.get("/impact/"))
    print(f"\n  {'whole analytics page, 28 days':<52}{page:>9.3f} s")
    print(f"  {'whole analytics page, last 365 days':<52}{page_all:>9.3f} s")
    print(f"  {'My impact page':<52}{impact:>9.3f} s")
    for period in ("week", "month", "quarter", "all"):
        span = calendar_period(period, today)
        t_board, _ = best(lambda s=span: leaderboard(s))
        t_rank, _ = best(lambda s=span: rank_of(staff, s))
        t_teams, _ = best(lambda s=span: team_leaderboard(s))
        print(f"  leaderboard {period:<8} top 10 {t_board:.3f} s · one person's rank {t_rank:.3f} s · "
              f"teams {t_teams:.3f} s")
    t_mine, _ = best(lambda: mine.my_totals(staff, calendar_period("all", today)))
    print(f"  {'my totals, all time':<52}{t_mine:>9.3f} s")


if __name__ == "__main__":
    main()
