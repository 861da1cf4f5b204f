"""What a hung Redis costs the pages an employee and a visitor use (issue 16, item 1).

    .venv/bin/python bench/hung_redis_bench.py                 # SQLite (WAL) in /tmp + an embedded redis-server
    .venv/bin/python bench/hung_redis_bench.py --requests 300

The feed, the share dialog (GET, and POST creating a share), the API feed and a tracked
link ``/r/<code>`` are requested through the whole Django stack (the test client, outside
any test transaction: the share's publish runs at commit, inside the request, as in
production), in interleaved rounds, in blocks that alternate Redis healthy and Redis
frozen by SIGSTOP (it accepts connections and never answers), so that drift (a growing
database, other load on the machine) hits both alike. Redis is both Chorus's Redis
(throttles, click buffer) and the Celery broker. Each block starts as a fresh process
would (no circuit open), so each hung block is an outage met first-hand: its first
requests pay the short timeouts, later ones skip Redis as the circuits say.
Prints p50 / p95 / max per page and the hung/normal ratio of p95; not a test.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.redirect_bench import CHROME, start_redis  # noqa: E402


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
    settings.SECURE_SSL_REDIRECT = False
    settings.LOGGING_CONFIG = None
    import logging

    logging.disable(logging.CRITICAL)  # the hung phase warns by design
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_data(items: int):
    from django.utils import timezone

    from advocacy.models import Share
    from tests.factories import SocialAccountFactory, UserFactory, published_item

    user = UserFactory()
    SocialAccountFactory(user=user, network="linkedin")
    shareable = [published_item(title=f"Bench item {n}", url=f"https://example.com/story/{n}") for n in range(items)]
    clicked = Share.objects.create(user=user, item=shareable[0], network="linkedin", text="t", final_text="t",
                                   idempotency_key="bench-clicked", status="posted", posted_at=timezone.now(),
                                   remote_id="urn:li:share:1", audience_size=500)
    return user, shareable, clicked.link_code


def pages(client, items, code):
    """(name, request) pairs; the POST shares a new item each time (a share of the same item
    again would be refused as "shared recently" before any publish)."""
    pending = iter(items)

    def share_post():
        item = next(pending)
        return client.post(f"/share/{item.pk}/", {"networks": ["linkedin"], "idempotency_key": f"bench-{item.pk}",
                                                  "when": "now", "text_linkedin": "Worth a read"})

    return [
        ("feed", lambda: client.get("/")),
        ("share dialog GET", lambda: client.get(f"/share/{items[0].pk}/")),
        ("share POST", share_post),
        ("API feed", lambda: client.get("/api/v1/feed/")),
        ("/r/<code>", lambda: client.get(f"/r/{code}", HTTP_USER_AGENT=CHROME)),
    ]


def run(requests: list, n: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name, _ in requests}
    for _ in range(n):
        for name, call in requests:
            started = time.perf_counter()
            response = call()
            samples[name].append(time.perf_counter() - started)
            assert response.status_code in (200, 302), (name, response.status_code)
    return samples


def fresh_process() -> None:
    import core.queueing
    import core.redis
    from advocacy.links import links_forget
    from analytics.services import clicks
    from chorus.celery import app

    core.redis.web_redis_reset()  # the machine-wide circuit too (REDIS_WEB_CIRCUIT_DIR)
    clicks._redis_down_until = 0.0
    clicks._shipper.reset()
    links_forget()
    core.queueing._broker_down_until = 0.0
    app._pool = None
    app.amqp._producer_pool = None


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per page and phase")
    parser.add_argument("--blocks", type=int, default=4, help="healthy/hung blocks per phase")
    args = parser.parse_args()
    proc, redis_url, _ = start_redis()
    database = Path(tempfile.mkdtemp(prefix="chorus-bench-hung-")) / "db.sqlite3"
    try:
        setup(f"sqlite:///{database}", redis_url)
        from django.test import Client

        from advocacy.models import Share
        from analytics.models import Click

        user, items, code = make_data(2 * args.requests + 1)
        client = Client()
        client.force_login(user)
        normal_pages = pages(client, items[1:args.requests + 1], code)
        hung_pages = pages(client, items[args.requests + 1:], code)
        run(normal_pages[:2], 5)  # warm up (templates, connections)
        normal: dict[str, list[float]] = {}
        hung: dict[str, list[float]] = {}
        per_block = max(1, args.requests // args.blocks)
        for _ in range(args.blocks):
            fresh_process()
            for name, values in run(normal_pages, per_block).items():
                normal.setdefault(name, []).extend(values)
            proc.send_signal(signal.SIGSTOP)
            try:
                fresh_process()
                for name, values in run(hung_pages, per_block).items():
                    hung.setdefault(name, []).extend(values)
            finally:
                proc.send_signal(signal.SIGCONT)
        print(f"{per_block * args.blocks} requests per page and phase in {args.blocks} blocks each, "
              "interleaved; seconds")
        print(f"{'page':18} {'normal p50':>10} {'p95':>7} {'max':>7}   {'hung p50':>8} {'p95':>7} {'max':>7}   p95 ratio")
        for name in normal:
            a, b = normal[name], hung[name]
            print(f"{name:18} {statistics.median(a):10.4f} {p95(a):7.4f} {max(a):7.4f}   "
                  f"{statistics.median(b):8.4f} {p95(b):7.4f} {max(b):7.4f}   {p95(b) / p95(a):5.2f}x")
        shares = Share.objects.exclude(idempotency_key="bench-clicked")
        print(f"shares recorded: {shares.count()} of {2 * args.requests} (no worker runs here: all stay queued); "
              f"clicks inserted directly while Redis was hung: {Click.objects.count()} of {args.requests}")
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
