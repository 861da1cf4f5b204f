"""Notification scale: publish one item to N advocates, and a weekly digest run for N.

    .venv/bin/python bench/digest_bench.py                      # 100,000 advocates, SQLite in /tmp
    .venv/bin/python bench/digest_bench.py --advocates 20000
    DATABASE_URL=postgres://... .venv/bin/python bench/digest_bench.py --keep-db

Seeds advocates (bulk inserts) in a throw-away database: a realistic mix of preferences and
~30 time zones, 20 teams, 60 live items with varied targeting, 3 campaigns with goals and
~1.5 shares per advocate. Then it times what the workers do, with chunks spread over
``--workers`` processes (2 = the issue's "2 cores"), calling the same service functions the
Celery tasks call (the broker is not what is measured). Emails go to a backend that builds
every message's MIME bytes, as SMTP would, and throws them away.

Targets (DESIGN/issue 6): publish to 100,000 advocates < 60 s; a digest run for 100,000 < 10
minutes with a constant number of queries per chunk. Prints the figures; not a test.
"""

import argparse
import os
import random
import sys
import time
import zoneinfo
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONES = [
    "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Lisbon", "Europe/Rome",
    "Europe/Warsaw", "Europe/Helsinki", "Europe/Istanbul", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Australia/Sydney", "Pacific/Auckland", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto", "America/Sao_Paulo",
    "America/Mexico_City", "Africa/Lagos", "Africa/Johannesburg", "Asia/Jakarta", "Europe/Dublin",
    "America/Bogota", "UTC",
]
PREFS = [("instant", 30), ("in_app", 15), ("daily", 15), ("weekly", 35), ("none", 5)]


class SerializingBackend:
    """Builds each message as SMTP would (MIME bytes), then discards it."""

    sent = 0

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        for message in messages:
            message.message().as_bytes()
        SerializingBackend.sent += len(messages)
        return len(messages)


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-bench-only-secret-key-0123456789")
    os.environ.setdefault("TOKEN_ENCRYPTION_KEYS", "q8n1B0z8G2w4lK0Jw1kJb0Zq3wYb7cQ9sVq2m7Qk0xA=")
    os.environ["DEBUG"] = "0"
    os.environ["EMAIL_BACKEND"] = "__main__.SerializingBackend"
    os.environ["SITE_URL"] = "https://chorus.example.com"
    os.environ["LOG_LEVEL"] = "WARNING"
    # Never reach a real broker (a `make run` may have one on the default port): tasks the
    # publish event enqueues go to an in-memory transport nobody consumes.
    os.environ["REDIS_URL"] = "memory://"
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    import django

    django.setup()


def seed(n: int, run_at: datetime) -> dict:
    """Everyone's weekly digest is due at ``run_at`` (their local Monday at the hour it is there)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Team, User
    from advocacy.models import Share
    from content.models import Campaign, ContentItem, ShareText

    rng = random.Random(7)
    t0 = time.perf_counter()
    teams = Team.objects.bulk_create([Team(name=f"Team {i}", slug=f"team-{i}") for i in range(20)])
    password = make_password(None)
    prefs = [p for p, weight in PREFS for _ in range(weight)]
    local_slot = {}
    for zone in ZONES:
        local = run_at.astimezone(zoneinfo.ZoneInfo(zone))
        local_slot[zone] = (local.weekday(), local.hour)
    users = []
    now = timezone.now()
    for i in range(n):
        zone = ZONES[i % len(ZONES)]
        weekday, hour = local_slot[zone]
        users.append(User(
            email=f"advocate{i}@bench.example", full_name=f"Advocate {i}", password=password,
            team=teams[i % len(teams)], location=rng.choice(["London", "Berlin", "New York", "Tokyo", ""]),
            language=rng.choice(["en", "en", "de", "fr"]), timezone=zone, advocate_opted_in_at=now,
            notification_preference=rng.choice(prefs), digest_weekday=weekday, digest_hour=hour,
        ))
    User.objects.bulk_create(users, batch_size=5000)
    user_ids = list(User.objects.values_list("pk", flat=True))
    campaigns = [
        Campaign.objects.create(name=f"Campaign {i}", slug=f"campaign-{i}", status="active", priority=i,
                                goal_shares=50_000, goal_clicks=200_000)
        for i in range(3)
    ]
    items = []
    for i in range(60):
        item = ContentItem(
            title=f"Bench story {i}: what we learned", url=f"https://news.example.com/{i}",
            summary="A short summary of why this is worth sharing with your network. " * 2,
            status="published", published_at=now - timedelta(hours=rng.randint(1, 24 * 20)),
            target_everyone=i % 3 == 0, campaign=campaigns[i % 3] if i % 2 else None, pinned=i == 5,
            preview_image_url=f"https://news.example.com/img/{i}.png",
        )
        if i % 3 == 2:
            item.target_location_list = ["london", "berlin"]
        items.append(item)
    ContentItem.objects.bulk_create(items)
    items = list(ContentItem.objects.all())
    through = ContentItem.target_teams.through
    through.objects.bulk_create([
        through(contentitem_id=item.pk, team_id=teams[(item.pk + k) % len(teams)].pk)
        for item in items if not item.target_everyone for k in range(5)
    ])
    ShareText.objects.bulk_create([ShareText(item=item, network="linkedin", text="Worth a read.") for item in items])
    shares = [
        Share(user_id=rng.choice(user_ids), item=rng.choice(items), network="linkedin", text="t", final_text="t",
              status="posted", posted_at=now - timedelta(days=rng.randint(0, 10)), idempotency_key=f"k{j}")
        for j in range(int(n * 1.5))
    ]
    Share.objects.bulk_create(shares, batch_size=5000, ignore_conflicts=True)
    # Last week's points, so that every digest's impact block has numbers and ranks to compute.
    from analytics.models import PointsEntry

    team_of = dict(User.objects.values_list("pk", "team_id"))
    PointsEntry.objects.bulk_create([
        PointsEntry(user_id=user_id, team_id=team_of[user_id], kind=kind, event_key=f"{share_id}",
                    day=(posted_at.date()), quantity=quantity, unit_points=unit, points=quantity * unit)
        for share_id, user_id, posted_at in Share.objects.values_list("pk", "user_id", "posted_at")
        for kind, quantity, unit in (("share", 1, 10), ("click", share_id % 7, 1))
        if quantity
    ], batch_size=5000)
    return {"seconds": time.perf_counter() - t0, "users": n, "items": len(items), "shares": len(shares)}


# --- worker processes -----------------------------------------------------------------------


def _pool(workers: int):
    """Worker processes forked without a database connection: a connection shared across a
    fork breaks (PostgreSQL) when either side closes it."""
    from django.db import connections

    connections.close_all()
    return get_context("fork").Pool(workers)


def _count_queries(fn, **kwargs):
    from django.db import connection

    from analytics import impact as analytics

    connection.force_debug_cursor = True
    connection.queries_log.clear()
    inside = [0]
    original = analytics.advocate_impacts

    def counted(users, *, start, end):
        before = len(connection.queries_log)
        try:
            return original(users, start=start, end=end)
        finally:
            inside[0] += len(connection.queries_log) - before

    analytics.advocate_impacts = counted
    try:
        t0, cpu0 = time.perf_counter(), time.process_time()
        report = fn(**kwargs)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        analytics.advocate_impacts = original
    total = len(connection.queries_log)
    connection.queries_log.clear()
    return report, total, inside[0], seconds, cpu


def _fanout_job(args):
    item_id, user_ids, token = args
    from notifications.services.fanout import fanout_chunk

    told, total, _, seconds, cpu = _count_queries(fanout_chunk, item_id=item_id, user_ids=user_ids, claim_token=token)
    return told, total, seconds, cpu


def _send_job(token):
    from notifications.services.deliveries import deliveries_send

    report, total, _, seconds, cpu = _count_queries(deliveries_send, claim_token=token)
    return report.sent, report.failed, total, seconds, cpu


def _digest_job(args):
    kind, period, user_ids, token = args
    from notifications.services.digests import digest_chunk

    report, total, impact, seconds, cpu = _count_queries(
        digest_chunk, kind=kind, period=period, user_ids=user_ids, claim_token=token
    )
    return report.sent, report.skipped, report.failed, len(user_ids), total, impact, seconds, cpu


def bench_publish(workers: int, label: str) -> dict:
    from django.conf import settings

    from content.models import ContentItem
    from content.services.workflow import content_publish
    from notifications.models import ContentFanout
    from notifications.services.deliveries import chunked
    from notifications.targeting import ItemTargeting, targeted_users

    item = ContentItem.objects.create(
        title=f"Breaking: {label}", url="https://news.example.com/breaking", summary="Big news for everyone.",
        status="approved", target_everyone=True, preview_image_url="https://news.example.com/img/b.png",
    )
    t0 = time.perf_counter()
    content_publish(item=item, user=None)  # the signal records the fan-out (tasks not run here)
    ContentFanout.objects.get_or_create(item=item)
    recipients = list(
        targeted_users(item, ItemTargeting.load(item))
        .filter(notification_preference__in=["instant", "in_app"]).order_by("pk").values_list("pk", flat=True)
    )
    jobs = [(item.pk, chunk, f"pub-{item.pk}-{i}")
            for i, chunk in enumerate(chunked(recipients, settings.NOTIFY_FANOUT_CHUNK_SIZE))]
    plan_seconds = time.perf_counter() - t0
    from notifications.services import fanout

    fanout.deliveries_send_later = lambda *, claim_token: None  # the send tasks run below, timed apart
    with _pool(workers) as pool:
        told = pool.map(_fanout_job, jobs, chunksize=1)
        notified_seconds = time.perf_counter() - t0
        sent = pool.map(_send_job, [token for _, _, token in jobs], chunksize=1)
    cpu = sum(r[3] for r in told) + sum(r[4] for r in sent)
    seconds = time.perf_counter() - t0
    return {
        "label": label, "recipients": sum(r[0] for r in told), "emails": sum(r[0] for r in sent),
        "failed": sum(r[1] for r in sent), "chunks": len(jobs), "plan_s": plan_seconds,
        "notified_s": notified_seconds, "total_s": seconds,
        "queries_per_chunk": (min(r[1] for r in told), max(r[1] for r in told)),
        "queries_per_send": (min(r[2] for r in sent), max(r[2] for r in sent)),
        "chunk_s": (min(r[2] for r in told), max(r[2] for r in told)),
        "send_s": (min(r[3] for r in sent), max(r[3] for r in sent)), "cpu_s": cpu,
    }


def bench_digests(workers: int, run_at: datetime) -> dict:
    from django.conf import settings

    from notifications.services.deliveries import chunked
    from notifications.services.schedule import due_user_ids

    t0 = time.perf_counter()
    due = due_user_ids(kind="weekly_digest", now=run_at)
    jobs = [
        ("weekly_digest", period, chunk, f"dig-{period}-{i}-{time.time_ns()}")
        for period, ids in due.items() for i, chunk in enumerate(chunked(ids, settings.DIGEST_CHUNK_SIZE))
    ]
    plan_seconds = time.perf_counter() - t0
    with _pool(workers) as pool:
        results = pool.map(_digest_job, jobs, chunksize=1)
    cpu = sum(r[7] for r in results)
    seconds = time.perf_counter() - t0
    own = [r[4] - r[5] for r in results]
    return {
        "due": sum(len(ids) for ids in due.values()), "sent": sum(r[0] for r in results),
        "skipped": sum(r[1] for r in results), "failed": sum(r[2] for r in results), "chunks": len(jobs),
        "plan_s": plan_seconds, "total_s": seconds,
        "own_queries_per_chunk": (min(own), max(own)) if own else (0, 0),
        "impact_queries_per_chunk": (min(r[5] for r in results), max(r[5] for r in results)) if results else (0, 0),
        "chunk_s": (min(r[6] for r in results), max(r[6] for r in results)) if results else (0, 0),
        "cpu_s": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--advocates", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true", help="don't delete the SQLite file afterwards")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or "sqlite:////tmp/chorus-digest-bench.sqlite3"
    sqlite_path = database_url.removeprefix("sqlite:///") if database_url.startswith("sqlite:") else None
    if sqlite_path:
        for suffix in ("", "-wal", "-shm"):
            Path(sqlite_path + suffix).unlink(missing_ok=True)
    setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    if not sqlite_path:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    from django.utils import timezone

    run_at = timezone.now()  # everyone's local digest day and hour is set to "now" where they live

    print(f"database: {connection.vendor}; workers: {args.workers}; cpus: {os.cpu_count()}")
    seeded = seed(args.advocates, run_at)
    print(f"seeded {seeded['users']:,} advocates, {seeded['items']} items, {seeded['shares']:,} shares "
          f"in {seeded['seconds']:.1f} s (bulk inserts)")

    def show_publish(r: dict) -> None:
        print(f"publish ({r['label']}): {r['recipients']:,} notified in {r['notified_s']:.1f} s "
              f"(plan {r['plan_s']:.2f} s, {r['chunks']} chunks, {r['queries_per_chunk'][0]}-"
              f"{r['queries_per_chunk'][1]} queries and {r['chunk_s'][0]:.2f}-{r['chunk_s'][1]:.2f} s a chunk); "
              f"{r['emails']:,} emails built and handed over by {r['total_s']:.1f} s "
              f"({r['queries_per_send'][0]}-{r['queries_per_send'][1]} queries a send task), {r['failed']} failed; "
              f"worker CPU {r['cpu_s']:.0f} s (wall on 2 idle cores ≈ {r['cpu_s'] / 2:.0f} s)")

    show_publish(bench_publish(args.workers, "preference mix"))
    from accounts.models import User

    by_pref: dict[str, list[int]] = {}
    for pk, pref in User.objects.values_list("pk", "notification_preference"):
        by_pref.setdefault(pref, []).append(pk)
    User.objects.update(notification_preference="instant")
    show_publish(bench_publish(args.workers, "everyone instant email"))
    for pref, pks in by_pref.items():  # back to the mix for the digest run
        for start in range(0, len(pks), 5000):
            User.objects.filter(pk__in=pks[start:start + 5000]).update(notification_preference=pref)

    r = bench_digests(args.workers, run_at)
    print(f"weekly digest run: {r['due']:,} due, {r['sent']:,} sent, {r['skipped']:,} skipped (nothing new), "
          f"{r['failed']} failed, {r['chunks']} chunks; plan {r['plan_s']:.2f} s, total {r['total_s']:.1f} s "
          f"({r['total_s'] / 60:.1f} min); worker CPU {r['cpu_s']:.0f} s (wall on 2 idle cores ≈ "
          f"{r['cpu_s'] / 2 / 60:.1f} min)")
    print(f"  digest's own queries per chunk: {r['own_queries_per_chunk'][0]}-{r['own_queries_per_chunk'][1]}; "
          f"advocate_impacts': {r['impact_queries_per_chunk'][0]}-{r['impact_queries_per_chunk'][1]}; "
          f"chunk {r['chunk_s'][0]:.1f}-{r['chunk_s'][1]:.1f} s")
    again = bench_digests(args.workers, run_at)
    print(f"second run of the same hour: {again['due']} due, {again['sent']} sent (exactly once)")
    if sqlite_path and not args.keep_db:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(sqlite_path + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
