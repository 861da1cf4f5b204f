"""`make bench`: start the stack, seed (or reuse the seed), measure B1-B7, write the results.

    .venv/bin/python -m bench.run                       # BENCH_SCALE=small (default) or full
    .venv/bin/python -m bench.run --scale full --only B3,B6
    .venv/bin/python -m bench.run --reseed              # seed again even if the stored seed matches
    .venv/bin/python -m bench.run --seed-only           # seed (or check the seed) and stop

Writes ``bench/results/latest.json`` (and ``bench/results/<scale>.json``) and prints a table.
A measurement that misses its target is reported, not a failure; the exit status is non-zero
only when the harness itself broke (a process did not start, a measurement crashed).
"""

import argparse
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
ALL = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")


class Who:
    """The people the measurements act as: an advocate (session, API token, a link code) and a
    curator for the analytics page."""


def _collectstatic(stack) -> None:
    """Production serves hashed static files (whitenoise's manifest): collect them when the
    sources changed since the last run."""
    from .stack import VAR

    sources = sorted(p for base in (ROOT / "static",) for p in base.rglob("*") if p.is_file())
    digest = hashlib.sha256("".join(f"{p}:{p.stat().st_mtime_ns}" for p in sources).encode()).hexdigest()
    stamp = VAR / "static.stamp"
    if stamp.exists() and stamp.read_text() == digest and (VAR / "static" / "staticfiles.json").exists():
        return
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                   env=stack.env(), check=True)
    stamp.write_text(digest)


def _wait_for_workers(timeout: float = 120) -> None:
    from django.utils import timezone

    from advocacy.models import Heartbeat
    from core.queueing import send

    asked = timezone.now()
    started = time.monotonic()
    send("advocacy.heartbeat")
    while time.monotonic() - started < timeout:
        if Heartbeat.objects.filter(name="worker", last_seen__gte=asked).exists():
            return
        time.sleep(0.3)
    raise RuntimeError("the Celery workers did not answer a heartbeat task within 120 s (var/bench/logs/celery.log)")


def _who():
    from django.test import Client
    from django.utils import timezone

    from accounts.models import ApiToken, User
    from accounts.roles import CURATOR
    from accounts.services.api_tokens import api_token_create
    from accounts.services.users import user_set_roles
    from advocacy.models import Share

    who = Who()
    advocate = User.objects.get(email="a7@bench.example")
    staff = User.objects.get(email="a8@bench.example")
    if not staff.is_staff:
        staff.is_staff = True
        staff.save(update_fields=["is_staff"])
        user_set_roles(user=staff, roles=[CURATOR])
    for user, attr in ((advocate, "session"), (staff, "staff_session")):
        client = Client()
        client.force_login(user)
        setattr(who, attr, client.cookies["sessionid"].value)
    who.user = advocate
    # Each run makes its token; the earlier runs' are revoked (a user may hold 20).
    ApiToken.objects.filter(user=advocate, name__startswith="bench ", revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    who.api_token = api_token_create(user=advocate, name=f"bench {time.time_ns()}", scope="read",
                                     expires_in_days=1).plain
    who.link_code = Share.objects.filter(status="posted").order_by("-posted_at").values_list(
        "link_code", flat=True).first()
    return who


def _machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} vCPU ({cpu}), {mem:.0f} GB RAM, {platform.system()} {platform.release()}"


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip()
        return head + (" (uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}"


def table(rows: list[dict]) -> str:
    head = ("id", "measurement", "value", "unit", "limit", "ratio", "target", "pass", "noise (min–max)")
    lines = [head]
    for r in rows:
        noise = f"{_fmt(r['noise'][0])}–{_fmt(r['noise'][1])}" if r.get("noise") else ""
        ok = {True: "yes", False: "MISS", None: ""}[r["pass"]]
        lines.append((r["id"], r["name"], _fmt(r["value"]), r["unit"], _fmt(r["limit"]) if r["limit"] is not None
                      else "", _fmt(r["ratio"]) if r["ratio"] is not None else "", r["target"], ok, noise))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown(doc: dict) -> str:
    rows = ["| | measurement | value | limit (same run) | ratio | target | pass | noise (min–max) |",
            "| --- | --- | ---: | ---: | ---: | --- | --- | --- |"]
    for r in doc["results"]:
        noise = f"{_fmt(r['noise'][0])}–{_fmt(r['noise'][1])}" if r.get("noise") else ""
        limit = f"{_fmt(r['limit'])} ({r['limit_name']})" if r["limit"] is not None else ""
        ok = {True: "yes", False: "**miss**", None: ""}[r["pass"]]
        rows.append(f"| {r['id']} | {r['name']} | {_fmt(r['value'])} {r['unit']} | {limit} | "
                    f"{_fmt(r['ratio']) if r['ratio'] is not None else ''} | {r['target']} | {ok} | {noise} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "small"), choices=["small", "full"])
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="e.g. B1,B3 (default: all)")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args()
    only = [x.strip().upper() for x in args.only.split(",") if x.strip()] or list(ALL)

    sys.path.insert(0, str(ROOT))
    from .seed import SCALES
    from .stack import Stack

    scale = SCALES[args.scale]
    stack = Stack(args.scale)
    # SIGTERM/SIGHUP (a timeout, a closed terminal) unwind through the ``finally`` below, so
    # the stack's PostgreSQL, gunicorn and workers are stopped and not left running.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: sys.exit(128 + number))
    began = time.perf_counter()
    results: list = []
    broken: list[str] = []
    seed_info: dict = {}
    try:
        print(f"== bench ({args.scale}): starting PostgreSQL 15 and Redis under var/bench/", flush=True)
        stack.pg.start()
        stack.start_redis()
        os.environ.update(stack.env())
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from . import seed as seeding

        call_command("migrate", verbosity=0)
        if args.reseed or not seeding.is_current(scale):
            print("== seeding (bulk paths; PostgreSQL restarted with fsync=off for the seed only)", flush=True)
            connection.close()
            stack.pg.stop()
            stack.pg.start(fast=True)
            seed_info = seeding.seed(scale)
            connection.close()
            stack.pg.stop()
            stack.pg.start()
            seed_info["reused"] = False
        else:
            doc = seeding.marker()
            seed_info = {"reused": True, "timings": doc.get("timings"), "counts": doc.get("counts"),
                         "seeded_at": doc.get("seeded_at")}
            print(f"== reusing the seed of {doc.get('seeded_at')} (version {doc.get('version')}, {args.scale})",
                  flush=True)
        print(f"   rows: {seed_info.get('counts')}", flush=True)
        if args.seed_only:
            return 0

        print("== starting the sandbox, gunicorn (2 sync workers) and Celery (2 processes)", flush=True)
        _collectstatic(stack)
        stack.start_sandbox()
        stack.start_web()
        worker = stack.start_workers()
        _wait_for_workers()
        who = _who()
        from . import measure

        steps = {
            "B1": lambda: measure.b1_b2(stack, scale, who),
            "B3": lambda: measure.b3(stack, scale, who),
            "B4": lambda: measure.b4(stack, scale, who),
            "B5": lambda: measure.b5(stack, scale, who),
            "B6": lambda: measure.b6(stack, scale, who, worker.pid),
            "B7": lambda: measure.b7(stack, scale, who),
        }
        wanted = [k for k in steps if k in only or (k == "B1" and "B2" in only)]
        for key in wanted:
            print(f"== {key if key != 'B1' else 'B1/B2'}", flush=True)
            step_started = time.perf_counter()
            try:
                rows = steps[key]()
                if key == "B1":
                    rows = [r for r in rows if r.id in only] + ([measure.b2_clicks_kept(stack, who)]
                                                                if "B2" in only else [])
                results.extend(rows)
                for r in rows:
                    print(f"   {r.name}: {r.value} {r.unit}" + (f" (ratio {r.ratio})" if r.ratio is not None else ""),
                          flush=True)
            except Exception:  # noqa: BLE001  (one broken measurement must not hide the others)
                traceback.print_exc()
                broken.append(key)
                results.append(measure.Result(key, f"{key} did not complete (see the traceback above)", None, "",
                                              passed=None))
            print(f"   ({time.perf_counter() - step_started:.0f} s)", flush=True)
    finally:
        stack.stop()

    doc = {
        "scale": args.scale,
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "load_average_at_end": os.getloadavg(),
        "commit": _commit(),
        "postgresql": "15, loopback; shared_buffers=1GB, work_mem=64MB; fsync on while measuring (off while seeding)",
        "gunicorn": "2 sync workers, DEBUG=0",
        "celery": "1 worker, 2 prefork processes, queues shares,notify,metrics,default; no beat (the harness "
                  "sends what beat would)",
        "seed": seed_info,
        "wall_seconds": round(time.perf_counter() - began, 1),
        "results": [r.to_json() for r in results],
        "broken": broken,
    }
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(doc, indent=1, ensure_ascii=False, default=str)
    (RESULTS / "latest.json").write_text(text + "\n")
    (RESULTS / f"{args.scale}.json").write_text(text + "\n")
    print()
    print(f"Chorus bench — scale {args.scale} — {doc['date']} — {doc['machine']} — commit {doc['commit']}")
    print(table(doc["results"]))
    print(f"\nwall time {doc['wall_seconds']:.0f} s; results in bench/results/latest.json")
    if broken:
        print(f"BROKEN: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
