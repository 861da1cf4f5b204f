"""The measurements B1-B7 of issue 18. Each returns ``Result`` rows; ``bench.run`` runs them.

Every figure that can be compared with a limit of the same machine is (``limit``, ``ratio``),
measured in the same run, alternating A and B so drift hits both; absolute targets are the
issue's full-scale targets (at small scale they are printed, not meaningful).
"""

import json
import math
import os
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from .stack import VAR  # var/bench or $BENCH_VAR

HERE = Path(__file__).resolve().parent


@dataclass
class Result:
    id: str
    name: str
    value: float | None
    unit: str
    limit: float | None = None  # the same-run limit the value is compared with
    limit_name: str = ""
    ratio: float | None = None  # value / limit
    target: str = ""  # e.g. "≥ 0.5 of limit", "≤ 300 ms"
    passed: bool | None = None
    noise: tuple[float, float] | None = None  # min-max of the repeated runs
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = asdict(self)
        out["pass"] = out.pop("passed")
        out["noise"] = list(self.noise) if self.noise else None
        return out


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int


def wrk(url: str, *, seconds: int, connections: int = 8, headers: dict | None = None,
        post_body: str | None = None) -> Load:
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", str(HERE / "wrk_report.lua")]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    env = dict(os.environ)
    if post_body is not None:
        env["BENCH_POST_BODY"] = post_body
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, env=env).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    doc = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(doc[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return Load(rps=doc["requests"] / (doc["duration_us"] / 1e6), p50_ms=doc["p50_us"] / 1000,
                p95_ms=doc["p95_us"] / 1000, errors=errors)


def probe(url: str, headers: dict | None = None, expect: int = 200) -> int:
    """One request, checked: a load test of a login page or an error is worth nothing."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310  (loopback)
    try:
        with opener.open(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != expect:
        raise RuntimeError(f"{url} answered {status}, expected {expect}")
    return status


def alternate(targets: dict[str, tuple], repeats: int, seconds: int) -> dict[str, list[Load]]:
    """wrk each target once per round, the order reversed every other round (A/B alternation)."""
    names = list(targets)
    out: dict[str, list[Load]] = {name: [] for name in names}
    for name in names:  # warm-up: imports, connections, caches
        url, headers = targets[name]
        wrk(url, seconds=1, headers=headers)
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else reversed(names):
            url, headers = targets[name]
            out[name].append(wrk(url, seconds=seconds, headers=headers))
    return out


def _rps_result(rid: str, name: str, loads: list[Load], limit_name: str = "", limit: list[Load] | None = None,
                target: float | None = None, **extra) -> Result:
    values = [x.rps for x in loads]
    value = statistics.median(values)
    result = Result(rid, name, round(value, 1), "req/s", noise=(round(min(values), 1), round(max(values), 1)),
                    extra={"p50_ms": round(statistics.median(x.p50_ms for x in loads), 2),
                           "p95_ms": round(statistics.median(x.p95_ms for x in loads), 2),
                           "errors": sum(x.errors for x in loads), **extra})
    if limit:
        result.limit = round(statistics.median(x.rps for x in limit), 1)
        result.limit_name = limit_name
        result.ratio = round(value / result.limit, 3)
        # The ratio per round (same round, A/B) shows its own noise.
        per_round = [a.rps / b.rps for a, b in zip(loads, limit, strict=True)]
        result.extra["ratio_noise"] = [round(min(per_round), 3), round(max(per_round), 3)]
        if target is not None:
            result.target = f"≥ {target} of {limit_name}"
            result.passed = result.ratio >= target
    return result


def queries_for(path: str, *, user=None, headers: dict | None = None) -> int:
    """Queries one request runs, through the same code in this process (test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        client.force_login(user)
    client.get(path, **(headers or {}))
    with CaptureQueriesContext(connection) as captured:
        client.get(path, **(headers or {}))
    return len(captured)


# --- B1, B2: requests per second -----------------------------------------------------------


def b1_b2(stack, scale, who) -> list[Result]:
    web = stack.web
    cookie = {"Cookie": f"sessionid={who.session}"}
    token = {"Authorization": f"Bearer {who.api_token}"}
    probe(f"{web}/_bench/bare")
    probe(f"{web}/_bench/session", cookie)
    probe(f"{web}/", cookie)
    probe(f"{web}/api/v1/feed/", token)
    etag = _etag(f"{web}/api/v1/feed/", token)
    not_modified = {**token, "If-None-Match": etag}
    probe(f"{web}/api/v1/feed/", not_modified, expect=304)
    probe(f"{web}/r/{who.link_code}", expect=302)
    targets = {
        "bare": (f"{web}/_bench/bare", {}),
        "session": (f"{web}/_bench/session", cookie),
        "feed_page": (f"{web}/", cookie),
        "api_feed": (f"{web}/api/v1/feed/", token),
        "api_feed_304": (f"{web}/api/v1/feed/", not_modified),
        "redirect": (f"{web}/r/{who.link_code}", {}),
    }
    loads = alternate(targets, scale.repeats, scale.wrk_seconds)
    user = who.user
    q = {
        "session": queries_for("/_bench/session", user=user),
        "feed_page": queries_for("/", user=user),
        "api_feed": queries_for("/api/v1/feed/", headers={"HTTP_AUTHORIZATION": f"Bearer {who.api_token}"}),
        "api_feed_304": queries_for("/api/v1/feed/", headers={"HTTP_AUTHORIZATION": f"Bearer {who.api_token}",
                                                              "HTTP_IF_NONE_MATCH": etag}),
        "redirect": queries_for(f"/r/{who.link_code}"),
    }
    bare, floor = loads["bare"], loads["session"]
    return [
        _rps_result("B1", "bare view (no session, no database): the ceiling", bare),
        _rps_result("B1", "bare view + session + user: the logged-in floor", floor, "bare", bare,
                    queries=q["session"]),
        _rps_result("B1", "portal feed page (logged in)", loads["feed_page"], "logged-in floor", floor, 0.5,
                    queries=q["feed_page"]),
        _rps_result("B1", "API feed (token)", loads["api_feed"], "logged-in floor", floor, 0.5, queries=q["api_feed"]),
        _rps_result("B1", "API feed answered 304 (If-None-Match)", loads["api_feed_304"], "logged-in floor", floor,
                    0.8, queries=q["api_feed_304"]),
        _rps_result("B2", "tracked redirect /r/<code>", loads["redirect"], "bare", bare, 0.7, queries=q["redirect"]),
    ]


def _etag(url: str, headers: dict) -> str:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (loopback)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.headers["ETag"]


def b2_clicks_kept(stack, who) -> Result:
    """After the load, the buffer flushed: every human click of the run is in the database."""
    import redis
    from django.conf import settings

    from advocacy.models import Share
    from analytics.models import Click
    from analytics.services.clicks import clicks_buffered
    from analytics.services.rollups import rollup_run

    share_id = Share.objects.filter(link_code=who.link_code).values_list("pk", flat=True).get()
    before = Click.objects.filter(share_id=share_id).count()
    client = redis.Redis.from_url(settings.REDIS_URL)
    # The web processes send their last clicks to the buffer within ANALYTICS_CLICK_SHIP_SECONDS.
    time.sleep(max(0.5, 10 * settings.ANALYTICS_CLICK_SHIP_SECONDS))
    buffered = clicks_buffered() or 0
    started = time.perf_counter()
    while (clicks_buffered() or 0) > 0:
        rollup_run()
    seconds = time.perf_counter() - started
    after = Click.objects.filter(share_id=share_id).count()
    flushed = after - before
    client.close()
    lost = buffered - flushed
    return Result("B2", "human clicks lost after the buffer flushed", lost, "clicks", target="= 0",
                  passed=lost == 0, extra={"buffered": buffered, "flushed": flushed, "flush_s": round(seconds, 2)})


# --- B3: analytics pages -------------------------------------------------------------------


def _page_times(url: str, cookie: dict, samples: int) -> list[float]:
    # Warm both gunicorn workers (two requests at a time): a worker's very first request
    # loads templates and code, a cost it pays once in its life, not on each page view.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: probe(url, cookie), range(4)))
    out = []
    for _ in range(samples):
        request = urllib.request.Request(url, headers=cookie)  # noqa: S310
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            response.read()
        out.append(time.perf_counter() - started)
    return out


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def b3_refresh() -> Result:
    """What beat does every few minutes (``metrics.panels_refresh``): count the unfiltered
    page's quick periods and panels into their snapshot. Run once before the pages are
    sampled, so they are measured as a user gets them after beat has run; its duration is
    reported (forced: every period counted, as after a change)."""
    from django.conf import settings
    from django.utils import timezone

    from analytics.pages import page_count, page_data, pages_refresh
    from analytics.panels import panels_refresh
    from analytics.periods import preset_period, utc_day
    from analytics.selectors.dashboard import Filters
    from analytics.services.rollups import rollup_settled

    started = time.perf_counter()
    rollup_settled()
    panels_refresh()
    periods = pages_refresh(force=True)
    seconds = time.perf_counter() - started
    unchanged = pages_refresh()  # the next run with nothing changed: only re-dated
    # The snapshot must hold what the live count gives (nothing changes the seed meanwhile).
    today = utc_day(timezone.now())
    same = {key: _page_figures(page_data(f)) == _page_figures(page_count(f))
            for key, f in ((k, Filters(preset_period(k, today), currency=settings.ANALYTICS_CURRENCY)) for k in ("28d", "365d"))}
    return Result("B3", f"page snapshot refresh (beat task, {len(periods.counted)} periods + panels)",
                  round(seconds, 1), "s", target=f"< {settings.ANALYTICS_PANELS_REFRESH_SECONDS} s (beat interval)",
                  passed=seconds < settings.ANALYTICS_PANELS_REFRESH_SECONDS and all(same.values()),
                  extra={"periods": periods.counted, "periods_s": periods.seconds,
                         "unchanged_run_s": unchanged.seconds, "unchanged": unchanged.unchanged,
                         "snapshot_equals_live": same})


def _page_figures(page) -> tuple:
    from dataclasses import asdict

    return (asdict(page.kpis), asdict(page.previous), [asdict(p) for p in page.series], page.top_content,
            page.top_advocates, page.hidden_advocates, [asdict(t) for t in page.teams])


def b3(stack, scale, who) -> list[Result]:
    from datetime import date

    today = date.today()
    cookie = {"Cookie": f"sessionid={who.staff_session}"}
    out = [b3_refresh()]
    # (name, url, target or None: informational, samples). The unfiltered quick periods are
    # served from the snapshot beat keeps; a network filter is counted live on each view
    # (as are team, campaign and custom-date views, the API and the CSVs).
    pages = [
        ("analytics page, last 28 days (the default; snapshot)", f"{stack.web}/analytics/", 0.300,
         scale.page_samples),
        ("analytics page, last 365 days (snapshot)", f"{stack.web}/analytics/?period=365d", 1.0, scale.page_samples),
        ("analytics page, last 28 days, one network (live, info)", f"{stack.web}/analytics/?network=linkedin",
         None, max(5, scale.page_samples // 2)),
        ("analytics page, last 365 days, one network (live, info)",
         f"{stack.web}/analytics/?period=365d&network=linkedin", None, max(5, scale.page_samples // 2)),
        ("My impact", f"{stack.web}/impact/", 0.150, scale.page_samples),
    ]
    for name, url, target, samples in pages:
        times = _page_times(url, cookie, samples)
        p95 = _p95(times)
        out.append(Result("B3", name + " (p95)", round(p95 * 1000, 1), "ms",
                          target=f"≤ {target * 1000:.0f} ms" if target else "",
                          passed=p95 <= target if target else None,
                          noise=(round(min(times) * 1000, 1), round(max(times) * 1000, 1)),
                          extra={"median_ms": round(statistics.median(times) * 1000, 1), "samples": len(times),
                                 "times_ms": [round(t * 1000, 1) for t in times]}))
    out.append(b3_export(stack, cookie, today))
    return out


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


EXPORT_GROWTH_MB = 50  # "flat": a buffered export of 100,000 advocates would hold far more


def b3_export(stack, cookie: dict, today) -> Result:
    """The largest CSV export, every advocate active over a year, through gunicorn: it must
    stream. The memory of the workers is sampled while it downloads; its growth over what
    they held before is the figure (a buffered export grows with the rows)."""
    from .stack import child_pids

    web = stack.processes.procs["gunicorn"]
    workers = child_pids(web.pid)
    before = {pid: _rss_mb(pid) for pid in workers}
    peak = dict(before)
    url = (f"{stack.web}/analytics/export/advocates.csv?start={(today - timedelta(days=364)).isoformat()}"
           f"&end={today.isoformat()}")
    started = time.perf_counter()
    first_byte = None
    size = lines = 0
    with urllib.request.urlopen(urllib.request.Request(url, headers=cookie), timeout=900) as response:  # noqa: S310
        while chunk := response.read(1 << 16):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
            for pid in workers:
                peak[pid] = max(peak[pid], _rss_mb(pid))
    seconds = time.perf_counter() - started
    growth = max(peak[pid] - before[pid] for pid in workers)
    return Result("B3", f"CSV export of every advocate over 365 days ({lines - 1:,} rows): worker memory growth",
                  round(growth, 1), "MB", target=f"≤ {EXPORT_GROWTH_MB} MB (streamed)",
                  passed=growth <= EXPORT_GROWTH_MB,
                  extra={"seconds": round(seconds, 2), "first_byte_s": round(first_byte or seconds, 2),
                         "bytes": size, "rows": lines - 1})


# --- B4: publish fan-out -------------------------------------------------------------------


def b4(stack, scale, who) -> list[Result]:
    from django.db import connection

    from content.models import ContentItem
    from content.services.workflow import content_publish
    from notifications.models import ContentFanout, EmailDelivery, Notification
    from notifications.targeting import INSTANT_PREFERENCES, ItemTargeting, targeted_users

    ContentItem.objects.filter(title__startswith="Bench publish").delete()
    Notification.objects.filter(kind="new_content").delete()
    EmailDelivery.objects.filter(kind="new_content").delete()
    item = ContentItem.objects.create(
        title=f"Bench publish {time.time_ns()}", url="https://news.example.com/breaking",
        summary="Big news for everyone.", status="approved", target_everyone=True,
    )
    recipients = list(targeted_users(item, ItemTargeting.load(item))
                      .filter(notification_preference__in=INSTANT_PREFERENCES)
                      .values_list("notification_preference", flat=True))
    in_app, emails = len(recipients), sum(1 for p in recipients if p == "instant")
    started = time.perf_counter()
    content_publish(item=item, user=None)  # the signal records the fan-out; a worker plans it
    seen = (0, 0)
    while True:
        seen = (Notification.objects.filter(item=item).count(),
                EmailDelivery.objects.filter(period=f"item-{item.pk}").count())
        if seen[0] >= in_app and seen[1] >= emails:
            break
        if time.perf_counter() - started > 600:
            raise RuntimeError(f"B4: fan-out incomplete after 600 s: {seen} of {(in_app, emails)}")
        time.sleep(0.1)
    fanout_s = time.perf_counter() - started
    chunks = ContentFanout.objects.get(item=item).chunks

    # The same rows through a raw COPY into twin tables (same columns, indexes, constraints).
    copied = 0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_notification, bench_copy_delivery")
        cursor.execute("CREATE TABLE bench_copy_notification (LIKE notifications_notification INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_copy_delivery (LIKE notifications_emaildelivery INCLUDING ALL)")
        batches = []
        for model, twin, rows_of in ((Notification, "bench_copy_notification", Notification.objects.filter(item=item)),
                                     (EmailDelivery, "bench_copy_delivery",
                                      EmailDelivery.objects.filter(period=f"item-{item.pk}"))):
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            batches.append((twin, [f.column for f in fields], list(rows_of.values_list(*[f.attname for f in fields]))))
        copy_started = time.perf_counter()
        for twin, names, rows in batches:
            with cursor.cursor.copy(f"COPY {twin} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            copied += len(rows)
        copy_s = time.perf_counter() - copy_started
        cursor.execute("DROP TABLE bench_copy_notification, bench_copy_delivery")
    # Leave the seed as it was for the next run.
    ContentItem.objects.filter(pk=item.pk).delete()
    total = in_app + emails
    rate, copy_rate = total / fanout_s, copied / copy_s
    return [
        Result("B4", f"publish fan-out to {in_app:,} advocates: in-app rows + {emails:,} email claims",
               round(fanout_s, 2), "s", target="≤ 15 s", passed=fanout_s <= 15,
               extra={"chunks": chunks, "rows": total}),
        Result("B4", "fan-out rows/s vs raw COPY of the same rows", round(rate, 0), "rows/s", limit=round(copy_rate, 0),
               limit_name="raw COPY", ratio=round(rate / copy_rate, 3), extra={"copy_s": round(copy_s, 3)}),
    ]


# --- B5: engagement sweep ------------------------------------------------------------------


def b5_state_file(stack, scale, path: Path) -> tuple[list[int], list[int]]:
    """The metrics sandbox's state: the members, their tokens and the posts of the shares due."""
    from advocacy.models import Share
    from sandbox.clock import Clock
    from sandbox.state import Post, SandboxState

    seeded = Share.objects.filter(status="posted", idempotency_key__startswith="s")
    x_shares = list(seeded.filter(network="x").order_by("-posted_at")
                    .values_list("pk", "remote_id", "account__display_name", "posted_at")[: scale.x_due])
    li_shares = list(seeded.filter(network="linkedin").order_by("-posted_at")
                     .values_list("pk", "remote_id", "account__display_name", "posted_at")[: scale.linkedin_due])
    from advocacy.models import SocialAccount

    li_names = {name for _, _, name, _ in li_shares}
    tokens = SocialAccount.objects.filter(network="linkedin", display_name__in=li_names)
    path.unlink(missing_ok=True)
    state = SandboxState(Clock(), path=path)
    for account in tokens:
        state.token(account.access_token, "linkedin")  # adopted now, not one by one while polling
    for network, shares in (("x", x_shares), ("linkedin", li_shares)):
        for _pk, remote_id, name, posted_at in shares:
            member = state.member(network, name)
            state.add_post(Post(id=remote_id, network=network, author_id=member.id, author_name=member.name,
                                author_username=member.username, text="t", raw_text="t",
                                created_at=posted_at.timestamp()))
    state.save(force=True)
    return [s[0] for s in x_shares], [s[0] for s in li_shares]


def b5(stack, scale, who) -> list[Result]:
    from django.conf import settings
    from django.utils import timezone

    from analytics.models import ApiUsage, MetricsDenial, ShareMetrics
    from analytics.services.polling import engagement_poll_due
    from networks.linkedin import METRICS

    state_path = VAR / "metrics-sandbox.json"
    x_ids, li_ids = b5_state_file(stack, scale, state_path)
    stack.start_sandbox(name="metrics-sandbox", port=stack.metrics_sandbox_port, state_file=str(state_path))
    now = timezone.now()
    ShareMetrics.objects.filter(next_poll_at__isnull=False).update(next_poll_at=None)
    ShareMetrics.objects.filter(share_id__in=x_ids + li_ids).update(next_poll_at=now - timedelta(minutes=1),
                                                                   last_read_day=None, stage=3)
    MetricsDenial.objects.all().delete()
    ApiUsage.objects.all().delete()
    settings.X_API_URL = f"{stack.metrics_sandbox}/x"
    settings.LINKEDIN_API_URL = f"{stack.metrics_sandbox}/linkedin"
    _sandbox_post(f"{stack.metrics_sandbox}/_sandbox/requests", {"reset": True})
    started = time.perf_counter()
    polled = skipped = delayed = sweeps = 0
    while True:
        # The sweep of what is due at ``now``: a read's next one (the 24 h, 3 d, 7 d read of
        # a share that crosses that age while the sweep runs) is not due within this
        # measurement, so the call counts are exactly those of the shares made due.
        result = engagement_poll_due(now=now)
        sweeps += 1
        polled, skipped, delayed = polled + result.polled, skipped + result.skipped, delayed + result.delayed
        if not (result.polled or result.skipped or result.delayed):
            break
    seconds = time.perf_counter() - started
    counts = json.loads(urllib.request.urlopen(f"{stack.metrics_sandbox}/_sandbox/requests", timeout=30).read())  # noqa: S310
    requests = counts["requests"]
    x_calls = sum(v for k, v in requests.items() if k.startswith("x."))
    li_calls = sum(v for k, v in requests.items() if k.startswith("linkedin."))
    x_expected, li_expected = math.ceil(len(x_ids) / 100), len(METRICS) * len(li_ids)
    return [
        Result("B5", f"engagement sweep: {len(x_ids):,} X + {len(li_ids):,} LinkedIn shares due", round(seconds, 2),
               "s", target="≤ 300 s", passed=seconds <= 300 and polled == len(x_ids) + len(li_ids),
               extra={"polled": polled, "skipped": skipped, "delayed": delayed, "sweeps": sweeps}),
        Result("B5", "X calls (expected ⌈n/100⌉)", x_calls, "calls", limit=x_expected, limit_name="⌈n/100⌉",
               ratio=round(x_calls / x_expected, 3) if x_expected else None, target=f"= {x_expected}",
               passed=x_calls == x_expected, extra={"by_endpoint": {k: v for k, v in requests.items() if k.startswith("x.")}}),
        Result("B5", f"LinkedIn calls (expected {len(METRICS)} metrics × posts)", li_calls, "calls", limit=li_expected,
               limit_name="metrics × posts", ratio=round(li_calls / li_expected, 3) if li_expected else None,
               target=f"= {li_expected}", passed=li_calls == li_expected),
    ]


def _sandbox_post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


# --- B6: weekly digest ---------------------------------------------------------------------


def b6(stack, scale, who, worker_pid: int) -> list[Result]:
    import zoneinfo

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from notifications.models import EmailDelivery
    from notifications.services.digests import digest_chunk
    from notifications.services.schedule import due_user_ids
    from notifications.tasks import digests_due_task

    from .stack import child_pids, peak_rss_mb

    EmailDelivery.objects.filter(kind__in=["weekly_digest", "daily_digest"]).delete()
    now = timezone.now()
    for zone in User.objects.order_by().values_list("timezone", flat=True).distinct():
        local = now.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
        User.objects.filter(timezone=zone).update(digest_weekday=local.weekday(), digest_hour=local.hour)
    due = due_user_ids(kind="weekly_digest", now=now)
    due_n = sum(len(ids) for ids in due.values())
    daily = due_user_ids(kind="daily_digest", now=now)
    daily_n = sum(len(ids) for ids in daily.values())
    started = time.perf_counter()
    chunks = digests_due_task()  # what beat runs hourly: enqueues the chunks for the workers
    done_statuses = ["sent", "skipped", "failed"]
    while True:
        finished = EmailDelivery.objects.filter(kind__in=["weekly_digest", "daily_digest"],
                                                status__in=done_statuses).count()
        if finished >= due_n + daily_n:
            break
        if time.perf_counter() - started > 1800:
            raise RuntimeError(f"B6: digests incomplete after 1800 s: {finished} of {due_n + daily_n}")
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    sent = EmailDelivery.objects.filter(kind="weekly_digest", status="sent").count()
    rss = max((peak_rss_mb(pid) for pid in child_pids(worker_pid)), default=0.0)

    # Queries per chunk, counted here on chunks of two sizes re-run for people already done.
    period, ids = next(iter(due.items()))
    sizes, queries = [], []
    for size in (max(1, settings.DIGEST_CHUNK_SIZE // 5), settings.DIGEST_CHUNK_SIZE):
        chunk = ids[:size]
        EmailDelivery.objects.filter(kind="weekly_digest", period=period, user_id__in=chunk).delete()
        with CaptureQueriesContext(connection) as captured:
            digest_chunk(kind="weekly_digest", period=period, user_ids=chunk, claim_token=f"bench-{time.time_ns()}")
        sizes.append(len(chunk))
        queries.append(len(captured))
    return [
        Result("B6", f"weekly digest run: {due_n:,} due (+{daily_n:,} daily), {chunks} chunks", round(seconds, 1),
               "s", target="≤ 180 s", passed=seconds <= 180, extra={"sent": sent}),
        Result("B6", f"queries per chunk ({sizes[0]} vs {sizes[1]} people)", queries[-1], "queries",
               target="constant", passed=queries[0] == queries[-1], noise=(min(queries), max(queries)),
               extra={"by_size": dict(zip(sizes, queries, strict=True))}),
        Result("B6", "worker peak RSS (Celery pool processes)", round(rss, 1), "MB", target="≤ 500 MB",
               passed=rss <= 500),
    ]


# --- B7: share throughput ------------------------------------------------------------------


def b7(stack, scale, who) -> list[Result]:
    from django.utils import timezone

    from accounts.models import User
    from advocacy.models import Share, SocialAccount
    from content.models import ContentItem
    from core.queueing import send
    from sandbox.presets import preset_connection

    Share.objects.filter(idempotency_key__startswith="b7-").delete()
    per_user = 10
    people = list(User.objects.filter(email__endswith="@bench.example").order_by("pk")
                  .values_list("pk", flat=True)[: max(1, scale.b7_shares // per_user)])
    accounts = dict(SocialAccount.objects.filter(user_id__in=people, network="x").values_list("user_id", "pk"))
    item = ContentItem.objects.filter(status="published").order_by("-published_at").first()
    run = time.time_ns()
    shares = Share.objects.bulk_create([
        Share(user_id=user_id, item=item, network="x", account_id=accounts[user_id], text=f"B7 {run} {k}",
              final_text=f"B7 share {run}-{user_id}-{k}", status="queued", idempotency_key=f"b7-{run}-{user_id}-{k}",
              enqueued_at=timezone.now())
        for user_id in people for k in range(per_user)
    ], batch_size=2000)
    ids = [s.pk for s in shares]
    # Watching for the end must not load the machine it measures: a range of ids and the
    # run's keys, not an IN list of 10,000 ids, four times a second.
    these = Share.objects.filter(pk__gte=min(ids), pk__lte=max(ids), idempotency_key__startswith=f"b7-{run}-")
    started = time.perf_counter()
    for share_id in ids:
        send("advocacy.share_post", share_id)
    enqueue_s = time.perf_counter() - started  # the workers must not be waiting for the harness
    terminal = ["posted", "failed", "needs_confirmation", "cancelled"]
    while True:
        finished = these.filter(status__in=terminal).count()
        if finished >= len(ids):
            break
        if time.perf_counter() - started > 1800:
            raise RuntimeError(f"B7: {finished} of {len(ids)} shares finished after 1800 s")
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    posted = Share.objects.filter(pk__in=ids, status="posted").count()
    rate = len(ids) / seconds

    # The sandbox's own capacity for the same call (POST /x/2/tweets), same run, wrk.
    name = User.objects.get(pk=people[0]).full_name
    token = preset_connection("x", name)["access_token"]
    loads = [wrk(f"{stack.sandbox}/x/2/tweets", seconds=scale.wrk_seconds, connections=4,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                 post_body='{"text": "capacity probe {n}"}') for _ in range(scale.repeats)]
    capacity = statistics.median(x.rps for x in loads)
    # The same call from what the workers are: 2 Python processes with ``requests``, one
    # call at a time each (the ceiling of the workers' HTTP alone, with nothing else to do).
    python_rps = [_python_client_rps(f"{stack.sandbox}/x/2/tweets", token, seconds=scale.wrk_seconds)
                  for _ in range(scale.repeats)]
    python_capacity = statistics.median(python_rps)
    Share.objects.filter(pk__in=ids).delete()  # leave the seed as it was for the next run
    return [
        Result("B7", f"share throughput: {len(ids):,} X shares through 2 workers to the sandbox", round(rate, 1),
               "shares/s", limit=round(capacity, 1), limit_name="sandbox capacity (wrk POST /2/tweets)",
               ratio=round(rate / capacity, 3), target="≥ 0.5 of sandbox capacity", passed=rate / capacity >= 0.5,
               noise=(round(min(x.rps for x in loads), 1), round(max(x.rps for x in loads), 1)),
               extra={"posted": posted, "seconds": round(seconds, 2), "enqueue_s": round(enqueue_s, 2),
                      "capacity_errors": sum(x.errors for x in loads)}),
        Result("B7", "share throughput vs the same call from 2 Python processes (requests, one at a time each)",
               round(rate, 1), "shares/s", limit=round(python_capacity, 1),
               limit_name="2 Python clients POST /2/tweets", ratio=round(rate / python_capacity, 3),
               noise=(round(min(python_rps), 1), round(max(python_rps), 1))),
    ]


_PYTHON_CLIENT = """
import sys, time, requests
url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
headers = {"Authorization": "Bearer " + token}
n, end = 0, time.perf_counter() + seconds
while time.perf_counter() < end:
    requests.post(url, json={"text": f"python capacity probe {n} {time.time_ns()}"}, headers=headers,
                  timeout=10).raise_for_status()
    n += 1
print(n / seconds)
"""


def _python_client_rps(url: str, token: str, *, seconds: int, processes: int = 2) -> float:
    """Requests per second of ``processes`` Python processes posting with ``requests``."""
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", _PYTHON_CLIENT, url, token, str(seconds)],  # noqa: S603
                              stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    return sum(float(p.communicate(timeout=seconds + 60)[0].strip() or 0) for p in procs)
