"""What click recording costs the tracked-link redirect /r/<code>.

    .venv/bin/python bench/redirect_bench.py                  # SQLite (WAL) in /tmp + an embedded redis-server
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/chorus_bench .venv/bin/python bench/redirect_bench.py
    .venv/bin/python bench/redirect_bench.py --requests 5000 --workers 4

Every variant goes through the whole Django stack (middleware, URL routing, the view) with
the test client, in interleaved rounds so that drift hits every variant alike:

- plain view: a view that redirects to a constant URL (no database) — the floor;
- redirect, not recording: the /r/<code> lookup and redirect alone;
- redirect + Redis buffer: one RPUSH per click (the default, ``ANALYTICS_CLICK_RECORDING=buffer``);
- redirect + direct INSERT: one INSERT per click (``direct``);
- redirect, Redis down: the buffer's fallback to a direct INSERT;
- crawler preview: a LinkedInBot request (recorded as a preview).

Then the concurrent phase: ``--workers`` processes hammering the redirect at once, buffer vs
direct, because one INSERT per click contends for the database (SQLite has a single writer)
while RPUSH does not. And the flush: how fast beat moves buffered clicks into the database.
Prints figures; not a test.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ops.launcher import free_port, redis_argv, redis_ping, wait_until  # noqa: E402  (after the path)

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
BOT = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"


def start_redis() -> tuple[subprocess.Popen, str, str]:
    """An embedded redis-server on loopback (ops.launcher's), answering before this returns."""
    port, folder = free_port(), tempfile.mkdtemp(prefix="chorus-bench-redis-")
    proc = subprocess.Popen(redis_argv(port, Path(folder), save=""), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_until(lambda: redis_ping(port), "redis", process=proc)
    return proc, f"redis://127.0.0.1:{port}/0", folder


def setup(database_url: str, redis_url: str) -> None:
    os.environ.setdefault("DEBUG", "1")  # development defaults for secrets; DEBUG itself is turned off below
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # DEBUG keeps every query in memory
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ROOT_URLCONF = "bench.redirect_urls"  # /plain/ plus Chorus's own URLs
    settings.LOGGING_CONFIG = None
    import logging

    logging.disable(logging.WARNING)  # the Redis-down variant warns by design
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _keep_recording()


def make_share():
    from django.utils import timezone

    from accounts.models import User
    from advocacy.models import Share
    from content.models import ContentItem

    user = User.objects.create_user("bench@example.com", full_name="Bench")
    item = ContentItem.objects.create(title="Bench", url="https://example.com/article?id=1", status="published",
                                      published_at=timezone.now())
    return Share.objects.create(user=user, item=item, network="linkedin", text="t", final_text="t",
                                idempotency_key="bench", status="posted", posted_at=timezone.now(),
                                remote_id="urn:li:share:1", audience_size=500)


def variants(code: str, redis_url: str, dead_url: str):
    """(name, path, user agent, settings to apply, patch click recording off)."""
    return [
        ("plain view (no database)", "/plain/", CHROME, {}, False),
        ("redirect, not recording", f"/r/{code}", CHROME, {}, True),
        ("redirect + Redis buffer", f"/r/{code}", CHROME, {"ANALYTICS_CLICK_RECORDING": "buffer",
                                                           "REDIS_URL": redis_url}, False),
        ("redirect + direct INSERT", f"/r/{code}", CHROME, {"ANALYTICS_CLICK_RECORDING": "direct"}, False),
        ("redirect, Redis down (fallback)", f"/r/{code}", CHROME, {"ANALYTICS_CLICK_RECORDING": "buffer",
                                                                   "REDIS_URL": dead_url}, False),
        ("crawler preview (buffer)", f"/r/{code}", BOT, {"ANALYTICS_CLICK_RECORDING": "buffer",
                                                         "REDIS_URL": redis_url}, False),
    ]


def timed_requests(client, path: str, agent: str, n: int, ip_base: int = 0) -> list[float]:
    out = []
    for i in range(n):
        ip = f"10.{(ip_base >> 8) & 255}.{(i >> 8) & 255}.{i & 255}"
        started = time.perf_counter()
        response = client.get(path, HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
        out.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
    return out


def apply(overrides: dict, recording_off: bool):
    from django.conf import settings

    from analytics.services import clicks

    for key, value in overrides.items():
        setattr(settings, key, value)
    # Each variant starts from a healthy process: the Redis-down variant's back-off (which
    # makes the fallback skip Redis for 30 s) must not leak into the buffer variant.
    clicks._redis_down_until = 0.0
    # Recording off: the redirect (clicks.click_follow) builds no click for a known link
    # and records none for a link it looks up.
    clicks._build = (lambda *args, **kwargs: None) if recording_off else _RECORDING["build"]
    clicks.click_record = (lambda **kwargs: None) if recording_off else _RECORDING["record"]


_RECORDING: dict = {}


def _keep_recording() -> None:
    from analytics.services import clicks

    _RECORDING.setdefault("build", clicks._build)
    _RECORDING.setdefault("record", clicks.click_record)


def sequential(code: str, redis_url: str, dead_url: str, total: int, rounds: int) -> dict[str, list[float]]:
    from django.test import Client

    client = Client()
    samples: dict[str, list[float]] = {}
    per_round = max(1, total // rounds)
    for _name, path, agent, overrides, off in variants(code, redis_url, dead_url):  # warm-up
        apply(overrides, off)
        timed_requests(client, path, agent, 50)
    for _ in range(rounds):
        for name, path, agent, overrides, off in variants(code, redis_url, dead_url):
            apply(overrides, off)
            samples.setdefault(name, []).extend(timed_requests(client, path, agent, per_round))
    return samples


def _worker(args) -> tuple[int, float]:
    code, mode, redis_url, n, index = args
    from django.db import connections

    connections.close_all()
    apply({"ANALYTICS_CLICK_RECORDING": mode, "REDIS_URL": redis_url}, mode == "off")
    from django.test import Client

    client = Client()
    started = time.perf_counter()
    timed_requests(client, f"/r/{code}", CHROME, n, ip_base=index)
    return n, time.perf_counter() - started


def concurrent(code: str, redis_url: str, workers: int, n: int) -> dict[str, float]:
    from django.db import connections

    out = {}
    for mode in ("off", "buffer", "direct"):
        connections.close_all()
        with get_context("fork").Pool(workers) as pool:
            started = time.perf_counter()
            results = pool.map(_worker, [(code, mode, redis_url, n, i) for i in range(workers)])
            elapsed = time.perf_counter() - started
        out[mode] = sum(r[0] for r in results) / elapsed
    return out


def flush_speed(redis_url: str) -> tuple[int, float, float]:
    from django.conf import settings

    from analytics.services.clicks import clicks_buffered, clicks_flush
    from analytics.services.rollups import rollup_run

    settings.REDIS_URL = redis_url
    waiting = clicks_buffered() or 0
    started = time.perf_counter()
    while clicks_flush():
        pass
    flushed = time.perf_counter() - started
    started = time.perf_counter()
    rollup_run()
    return waiting, flushed, time.perf_counter() - started


def recording_alone(share_id: int, redis_url: str, dead_url: str, n: int) -> dict[str, float]:
    """Microseconds per click_record() call, outside the request cycle (less noise)."""
    from django.conf import settings
    from django.db import connection
    from django.test import RequestFactory

    from analytics.services import clicks

    request = RequestFactory().get("/r/x", HTTP_USER_AGENT=CHROME, REMOTE_ADDR="10.1.2.3")
    bot = RequestFactory().get("/r/x", HTTP_USER_AGENT=BOT, REMOTE_ADDR="10.1.2.3")
    out = {}
    for label, mode, url, req in (("Redis buffer", "buffer", redis_url, request),
                                  ("direct INSERT", "direct", redis_url, request),
                                  ("Redis down (after the first failure)", "buffer", dead_url, request),
                                  ("crawler preview, buffer", "buffer", redis_url, bot)):
        settings.ANALYTICS_CLICK_RECORDING, settings.REDIS_URL = mode, url
        clicks._redis_down_until = 0.0
        connection.ensure_connection()
        for _ in range(50):
            clicks.click_record(request=req, share_id=share_id)
        started = time.perf_counter()
        for _ in range(n):
            clicks.click_record(request=req, share_id=share_id)
        out[label] = 1e6 * (time.perf_counter() - started) / n
    return out


def ms(values: list[float], q: float | None = None) -> float:
    if q is None:
        return 1000 * statistics.median(values)
    return 1000 * statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per variant (sequential phase)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="processes in the concurrent phase (0: skip)")
    parser.add_argument("--per-worker", type=int, default=1000)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="chorus-redirect-bench-")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    redis, redis_url, redis_dir = start_redis()
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    try:
        setup(database_url, redis_url)
        if database_url.startswith("postgres"):
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
        share = make_share()
        from django.db import connection

        print(f"database: {connection.vendor} · Redis: embedded redis-server on loopback · "
              f"{args.requests} requests per variant in {args.rounds} interleaved rounds")
        samples = sequential(share.link_code, redis_url, dead_url, args.requests, args.rounds)
        base = statistics.median(samples["plain view (no database)"])
        lookup = statistics.median(samples["redirect, not recording"])
        print(f"\n{'variant':<34}{'median ms':>10}{'p95 ms':>9}{'× plain':>9}{'+ms vs lookup':>15}")
        for name, values in samples.items():
            median = statistics.median(values)
            print(f"{name:<34}{ms(values):>10.3f}{ms(values, 95):>9.3f}{median / base:>9.2f}"
                  f"{1000 * (median - lookup):>15.3f}")
        alone = recording_alone(share.pk, redis_url, dead_url, 3000)
        print("\nclick_record() alone, µs per call (3000 calls)")
        for label, micros in alone.items():
            print(f"  {label:<40}{micros:>8.0f}")
        waiting, flushed, rolled = flush_speed(redis_url)
        if waiting:
            print(f"\nflush: {waiting} buffered clicks into the database in {flushed:.2f} s "
                  f"({waiting / flushed:,.0f} clicks/s); the rollup sweep after it took {rolled:.2f} s")
        if args.workers:
            rates = concurrent(share.link_code, redis_url, args.workers, args.per_worker)
            print(f"\nconcurrent: {args.workers} processes × {args.per_worker} redirects each (requests/s, whole run)")
            for mode, label in (("off", "not recording"), ("buffer", "Redis buffer"), ("direct", "direct INSERT")):
                print(f"  {label:<16}{rates[mode]:>10,.0f} req/s")
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(redis_dir, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
