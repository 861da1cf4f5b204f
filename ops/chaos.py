#!/usr/bin/env python3
"""``make chaos``: faults against the production-shaped stack, with shares in flight.

A fresh stack (``ops/stack.py``, state in ``var/chaos/``) gets, for each scenario, a load
of shares created through the portal's share dialog and through the API at the same time
(advocates × items × networks; every share's text carries a unique marker), while a prober
times the feed and the tracked ``/r/`` links. The scenarios:

- baseline — no fault;
- worker-kill — ``kill -9`` of the ``shares`` worker's whole process group while posts are
  in flight (the sandbox answers posts slowly meanwhile), restarted a few seconds later;
- redis-stop — Redis frozen (SIGSTOP) for 15 s (small) / 60 s (full), then SIGCONT;
- redis-empty — Redis killed and restarted empty (the queue and every counter gone);
- provider-503 — both networks answer 503 to every post for 60 s / 10 min;
- pg-restart — PostgreSQL stopped (fast shutdown) for 8 s / 20 s, then started;
- drop-20 — 20% of posts are dropped after the network accepted them (the connection
  closes without an answer, the post exists);
- tokens-revoked — two advocates revoke Chorus at the provider (their access and refresh
  tokens are revoked there) while they share.

For each scenario the table says: shares created, posted, failed, needing confirmation,
duplicates on the network (a share's marker in more than one post), lost (never terminal
within the settle deadline after the fault ended, or *posted* without a post of its own on
the sandbox — /_sandbox/state is read for every posted share), server errors outside the
outage window (5xx or no answer; the window is the fault plus 10 s) and inside it, and the
p95 of the feed and of ``/r/`` while the scenario ran. Pass: 0 duplicates, 0 lost, 0 server
errors outside the window, in every scenario.

    python ops/chaos.py --scale small   # ≈ 10 min; .ci/run runs it
    python ops/chaos.py --scale full    # the issue's durations (Redis 60 s, provider 10 min)

Writes ``ops/results/chaos-latest.json`` (or ``--out``); the exit code says pass or fail.
The small scale also shortens the share retry backoff and the breaker's cool-downs (the
settings ``SHARE_RETRY_*`` and ``SHARE_BREAKER_*``), as its outages are shorter.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import requests  # noqa: E402

from ops.chaos_faults import (  # noqa: E402
    heal_when_settled,
    heal_worker_kill,
    inject_revoke,
    inject_worker_kill,
)
from ops.chaos_report import commit, p95, render  # noqa: E402
from ops.client import (  # noqa: E402
    TERMINAL,
    Api,
    NotOffered,
    Portal,
    api_tokens,
    landed_on_my_shares,
    sandbox_faults,
    sandbox_posts,
    sandbox_requests,
    verify_posts,
)
from ops.stack import ROOT, Stack, install_cleanup, say  # noqa: E402

OUTAGE_GRACE = 10.0  # seconds after a fault ends that still count as its outage window
MARKER = re.compile(r"cx[0-9a-f]{4}-\d+-\d+")

SCALES: dict[str, dict[str, Any]] = {
    "small": {
        "advocates": 6, "shares": 12, "base_load": 20, "redis_stop": 15, "provider_503": 60, "pg_down": 8,
        "scenario_settle": 20, "settle": 540, "web_workers": 3,
        # Shorter outages, shorter waits between tries (production: 30 s … 10 min, breaker 30 s … 5 min).
        "env": {"SHARE_RETRY_BASE_SECONDS": "5", "SHARE_RETRY_CAP_SECONDS": "30",
                "SHARE_BREAKER_COOLDOWN_SECONDS": "10", "SHARE_BREAKER_MAX_COOLDOWN_SECONDS": "30"},
    },
    "full": {
        "advocates": 9, "shares": 48, "base_load": 60, "redis_stop": 60, "provider_503": 600, "pg_down": 20,
        "scenario_settle": 120, "settle": 1500, "web_workers": 4, "env": {},
    },
}


@dataclass
class Hit:
    at: float
    kind: str  # feed, r, web-share, api-share
    status: int  # 0: no answer (connection refused or reset, timeout)
    seconds: float


@dataclass
class Scenario:
    key: str
    what: str
    lead: float  # seconds of load before the fault
    fault_seconds: float
    tail: float  # seconds of load after the fault
    inject: Callable[[Chaos], None]
    heal: Callable[[Chaos], None]
    revoke_group: bool = False
    web_outage: bool = False  # the web's own dependency is down: 5xx allowed in the window
    # filled in as it runs
    started: float = 0.0
    fault_start: float = 0.0
    fault_end: float = 0.0
    load_end: float = 0.0
    requested: int = 0
    accepted: int = 0
    refused: int = 0
    sandbox: dict[str, list[int]] = field(default_factory=dict)  # "network.group" -> [requests, faulted]
    notes: list[str] = field(default_factory=list)


class Chaos:
    def __init__(self, scale: str, directory: Path) -> None:
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.run_id = f"{random.randrange(16 ** 4):04x}"  # noqa: S311  (a label, not a secret)
        self.stack = Stack(directory, web_workers=self.scale["web_workers"], extra_env=self.scale["env"])
        self.hits: list[Hit] = []
        self.hits_lock = threading.Lock()
        self.first_terminal: dict[str, float] = {}  # marker -> when first seen terminal
        self.stopping = threading.Event()
        self.advocates: list[dict] = []
        self.revokers: list[dict] = []
        self.link_codes: list[str] = []
        self.prober: Portal | None = None
        self.current: Scenario | None = None
        self.current_index = 0
        self.result: dict[str, Any] = {}
        self.answers: dict[str, int] = {}  # marker -> the status the share request got (0: none)

    # --- helpers ---
    @property
    def db_url(self) -> str:
        return self.stack.database_url.replace("postgres://", "postgresql://")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.db_url, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def record(self, kind: str, started: float, status: int) -> None:
        with self.hits_lock:
            self.hits.append(Hit(started, kind, status, time.monotonic() - started))

    def rows(self, prefix: str) -> list[dict]:
        found = self.query(
            "SELECT id, status, network, remote_id, text, error_code FROM advocacy_share WHERE text LIKE %s",
            (f"%{prefix}%",),
        )
        keys = ("id", "status", "network", "remote_id", "text", "error_code")
        return [dict(zip(keys, row, strict=True)) for row in found]

    @staticmethod
    def marker_of(share: dict) -> str:
        found = MARKER.search(share["text"])
        return found.group(0) if found else f"no-marker-{share['id']}"

    # --- setup ---
    def prepare(self) -> None:
        stack = self.stack
        usable = [email for (email,) in self.query(
            "SELECT u.email FROM accounts_user u WHERE u.is_active AND u.advocate_opted_in_at IS NOT NULL "
            "AND 2 = (SELECT count(*) FROM advocacy_socialaccount a WHERE a.user_id = u.id "
            "AND a.status = 'active' AND a.network IN ('linkedin', 'x')) ORDER BY u.id")]
        wanted = self.scale["advocates"] + 2
        if len(usable) < wanted:
            raise SystemExit(f"the demo data has {len(usable)} advocates with both networks connected; need {wanted}")
        say(f"run {self.run_id}: {wanted} advocates log in and make API tokens")
        people = []
        tokens = api_tokens(stack, usable[:wanted], f"chaos {self.run_id}")
        for email in usable[:wanted]:
            portal = Portal(stack.url, email)
            portal.login()
            api = Api(stack.url, tokens[email])
            items = [i["id"] for i in api.feed() if {"linkedin", "x"} <= set(i["networks"])
                     and i["url"] and not i["text_locked"]]
            if not items:
                raise SystemExit(f"{email} has no item to share on both networks")
            people.append({"email": email, "portal": portal, "api": api, "items": items})
        self.advocates, self.revokers = people[:-2], people[-2:]
        self.prober = Portal(stack.url, self.advocates[0]["email"], timeout=60)
        self.prober.login()
        self.link_codes = [code for (code,) in self.query(
            "SELECT link_code FROM advocacy_share WHERE status = 'posted' ORDER BY id LIMIT 50")]

    # --- background: the prober and the terminal-state monitor ---
    def probe_loop(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            started = time.monotonic()
            try:
                if n % 2:
                    status = self.prober.get("/", allow_redirects=False).status_code
                    kind = "feed"
                else:
                    code = self.link_codes[n % len(self.link_codes)] if self.link_codes else "nothing"
                    status = requests.get(f"{self.stack.url}/r/{code}", allow_redirects=False, timeout=60,
                                          headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) chaos"}).status_code
                    kind = "r"
            except requests.RequestException:
                status, kind = 0, "feed" if n % 2 else "r"
            self.record(kind, started, status)
            self.stopping.wait(max(0.0, 0.5 - (time.monotonic() - started)))

    def monitor_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                for share in self.rows(f"cx{self.run_id}-"):
                    if share["status"] in TERMINAL:
                        self.first_terminal.setdefault(self.marker_of(share), time.monotonic())
            except psycopg.Error:
                pass  # PostgreSQL is down (a scenario): look again later
            self.stopping.wait(3)

    # --- load ---
    def load(self, scenario: Scenario, index: int, channel: str, deadline: float) -> None:
        people = self.revokers if scenario.revoke_group else self.advocates
        total = self.scale["shares"]
        span = scenario.lead + scenario.fault_seconds + scenario.tail
        for k in range(total):
            if (k % 2 == 0) != (channel == "web"):
                continue
            at = scenario.started + span * k / total
            time.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() > deadline:
                scenario.notes.append(f"{channel}: gave up on share {k}: the load fell behind")
                break
            person = people[k % len(people)]
            network = ("linkedin", "x")[(k // 2) % 2]
            item = person["items"][(k // len(people)) % len(person["items"])]
            marker = f"cx{self.run_id}-{index}-{k:03d}"
            text = f"Chaos check {marker}: worth a read."
            started = time.monotonic()
            with self.hits_lock:
                scenario.requested += 1
            try:
                client = person["portal"] if channel == "web" else person["api"]
                answer = client.share(item, network, text)
                status = answer.status_code
                saved = status == 201 or landed_on_my_shares(answer)
            except NotOffered:  # the dialog refused before sending: counted with the 4xx refusals
                status, saved = 409, False
            except Exception:  # noqa: BLE001  (no answer at all counts as a server error)
                status, saved = 0, False
            self.record(f"{channel}-share", started, status)
            with self.hits_lock:
                self.answers[marker] = 201 if saved else status
                if saved:
                    scenario.accepted += 1
                elif 400 <= status < 500:
                    scenario.refused += 1

    # --- scenarios ---
    def scenarios(self) -> list[Scenario]:
        s = self.scale
        nothing = lambda chaos: None  # noqa: E731
        return [
            Scenario("baseline", "no fault", s["base_load"], 0, 0, nothing, nothing),
            Scenario("worker-kill", "kill -9 the shares worker (whole process group) with posts in flight; "
                     "restart it 5 s later", 5, 5, 15, inject_worker_kill, heal_worker_kill),
            Scenario("redis-stop", f"Redis frozen (SIGSTOP) for {s['redis_stop']} s", 5, s["redis_stop"], 10,
                     lambda c: c.stack.signal("redis", signal.SIGSTOP),
                     lambda c: c.stack.signal("redis", signal.SIGCONT), web_outage=True),
            Scenario("redis-empty", "Redis killed (-9) and restarted empty", 5, 2, 15,
                     lambda c: c.stack.kill("redis"), lambda c: c.stack.redis_start(empty=True), web_outage=True),
            Scenario("provider-503", f"LinkedIn and X answer 503 to every post for {s['provider_503']} s", 5,
                     s["provider_503"], 10,
                     lambda c: sandbox_faults(c.stack, {"add": [{"kind": "error", "group": "post", "status": 503}]}),
                     lambda c: sandbox_faults(c.stack, clear=True)),
            Scenario("pg-restart", f"PostgreSQL stopped (fast shutdown) for {s['pg_down']} s, then started", 5,
                     s["pg_down"], 15, lambda c: c.stack.pg_stop(), lambda c: c.stack.pg_start(), web_outage=True),
            Scenario("drop-20", "20% of posts dropped after the network accepted them (until the scenario's "
                     "shares are terminal)", 0, s["base_load"], 0,
                     # The sandbox draws from a seeded generator: seed 1 drops 3 of the first 12 posts
                     # and 11 of the first 60 (seed 0, its default, none of the first 25).
                     lambda c: sandbox_faults(c.stack, {"seed": 1, "add": [{
                         "kind": "drop_after_accept", "group": "post", "probability": 0.2}]}),
                     heal_when_settled),
            Scenario("tokens-revoked", "two advocates revoke Chorus at LinkedIn and X (access and refresh "
                     "tokens) while they share", 5, 0, 15, inject_revoke, nothing, revoke_group=True),
        ]

    def execute(self, index: int, scenario: Scenario) -> None:
        say(f"scenario {scenario.key}: {scenario.what}")
        self.current, self.current_index = scenario, index
        counts_before = sandbox_requests(self.stack)
        span = scenario.lead + scenario.fault_seconds + scenario.tail
        scenario.started = time.monotonic()
        deadline = scenario.started + span + 120
        threads = [threading.Thread(target=self.load, args=(scenario, index, channel, deadline), daemon=True)
                   for channel in ("web", "api")]
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, scenario.started + scenario.lead - time.monotonic()))
        scenario.fault_start = time.monotonic()
        scenario.inject(self)
        time.sleep(max(0.0, scenario.fault_start + scenario.fault_seconds - time.monotonic()))
        scenario.heal(self)
        scenario.fault_end = time.monotonic()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        scenario.load_end = time.monotonic()
        counts_after = sandbox_requests(self.stack)
        for key in sorted(set(counts_after["requests"]) | set(counts_after["faulted"])):
            seen = counts_after["requests"].get(key, 0) - counts_before["requests"].get(key, 0)
            faulted = counts_after["faulted"].get(key, 0) - counts_before["faulted"].get(key, 0)
            if seen or faulted:
                scenario.sandbox[key] = [seen, faulted]
        say(f"   {scenario.requested} share requests: {scenario.accepted} saved, {scenario.refused} refused; "
            f"sandbox posts {scenario.sandbox.get('linkedin.post', [0, 0])} LinkedIn, "
            f"{scenario.sandbox.get('x.post', [0, 0])} X [requests, faulted]")
        settle_until = time.monotonic() + self.scale["scenario_settle"]
        while time.monotonic() < settle_until:
            markers = [self.marker_of(r) for r in self.safe_rows(f"cx{self.run_id}-{index}-")]
            if markers and all(m in self.first_terminal for m in markers):
                break
            time.sleep(3)

    def safe_rows(self, prefix: str) -> list[dict]:
        try:
            return self.rows(prefix)
        except psycopg.Error:
            return []

    def settle(self, scenarios: list[Scenario]) -> None:
        """Wait until every share is terminal or every scenario's deadline has passed."""
        last = max(s.fault_end for s in scenarios) + self.scale["settle"]
        say(f"settling: until every share is terminal, at most {self.scale['settle']} s after each fault")
        while time.monotonic() < last:
            markers = [self.marker_of(r) for r in self.safe_rows(f"cx{self.run_id}-")]
            pending = [m for m in markers if m not in self.first_terminal]
            if not pending:
                return
            time.sleep(5)

    # --- the table ---
    def summarise(self, index: int, scenario: Scenario, posts: dict[str, list[dict]]) -> dict[str, Any]:
        shares = self.rows(f"cx{self.run_id}-{index}-")
        by_status: dict[str, int] = {}
        for share in shares:
            by_status[share["status"]] = by_status.get(share["status"], 0) + 1
        verdict = verify_posts(shares, posts, self.marker_of)
        deadline = scenario.fault_end + self.scale["settle"]
        late = [s["id"] for s in shares
                if self.first_terminal.get(self.marker_of(s), float("inf")) > deadline]
        lost = sorted(set(late) | set(verdict["posted_without_own_post"]))
        # A share the web said it saved but that is not in the database is lost too.
        missing = max(0, scenario.accepted - len(shares))
        window = (scenario.fault_start, scenario.fault_end + OUTAGE_GRACE) if scenario.web_outage else (0, 0)
        mine = [h for h in self.hits if scenario.started <= h.at <= scenario.load_end]
        errors = [h for h in mine if h.status == 0 or h.status >= 500]
        # In the window if the request was in flight at any moment of it.
        inside = [h for h in errors if h.at <= window[1] and h.at + h.seconds >= window[0]]
        settled = [self.first_terminal[m] for m in map(self.marker_of, shares) if m in self.first_terminal]
        feed = p95([h.seconds for h in mine if h.kind == "feed" and 0 < h.status < 500])
        redirect = p95([h.seconds for h in mine if h.kind == "r" and 0 < h.status < 500])
        row = {
            "scenario": scenario.key,
            "what": scenario.what,
            "requested": scenario.requested,
            "accepted": scenario.accepted,
            "refused": scenario.refused,
            "created": len(shares),
            "posted": by_status.get("posted", 0),
            "failed": by_status.get("failed", 0),
            "needs_confirmation": by_status.get("unconfirmed", 0),
            "cancelled": by_status.get("cancelled", 0),
            "duplicates": verdict["duplicates"],
            "lost": len(lost) + missing,
            "accepted_not_saved": missing,
            "lost_ids": lost,
            "web_errors_outside": len(errors) - len(inside),
            "web_errors_inside": len(inside),
            "error_kinds": sorted({f"{h.kind}:{h.status}" for h in errors}),
            "p95_feed_ms": None if feed is None else round(feed * 1000),
            "p95_r_ms": None if redirect is None else round(redirect * 1000),
            "probes": sum(1 for h in mine if h.kind in ("feed", "r")),
            "settled_s": max(0, round(max(settled) - scenario.fault_end)) if settled else None,
            # The request was answered with an error (or not at all) but the share was saved:
            # the person was told it failed although it will be posted.
            "error_answer_but_saved": sorted(m for m in map(self.marker_of, shares)
                                             if self.answers.get(m, 201) != 201),
            "sandbox_requests": scenario.sandbox,
            "failure_codes": sorted({s["error_code"] for s in shares if s["status"] == "failed"}),
            "notes": scenario.notes,
        }
        row["passed"] = row["duplicates"] == 0 and row["lost"] == 0 and row["web_errors_outside"] == 0
        return row

    def run(self) -> int:
        began = time.monotonic()
        say(f"a fresh stack in {self.stack.dir} ({self.scale_name} scale)")
        self.stack.start(fresh=True)
        self.prepare()
        background = [threading.Thread(target=self.probe_loop, daemon=True),
                      threading.Thread(target=self.monitor_loop, daemon=True)]
        for thread in background:
            thread.start()
        scenarios = self.scenarios()
        for index, scenario in enumerate(scenarios):
            self.execute(index, scenario)
        self.settle(scenarios)
        self.stopping.set()
        for thread in background:
            thread.join(timeout=60)
        posts = sandbox_posts(self.stack)
        rows = [self.summarise(i, s, posts) for i, s in enumerate(scenarios)]
        elapsed = time.monotonic() - began
        table = render(rows)
        sys.stdout.write("\n" + table + "\n")
        passed = all(r["passed"] for r in rows)
        result = {
            "scale": self.scale_name,
            "run": self.run_id,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "commit": commit(),
            "seconds": round(elapsed),
            # The machine's load while it ran (p95s on a shared machine are only comparable within a run).
            "load_average_1m_at_end": round(os.getloadavg()[0], 1),
            "cpus": os.cpu_count(),
            "passed": passed,
            "settings": self.scale,
            "rows": rows,
            "table": table,
        }
        self.result = result
        say(f"chaos ({self.scale_name}) {'passed' if passed else 'FAILED'} in {elapsed:.0f} s")
        return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default=os.environ.get("CHAOS_SCALE") or "small")
    parser.add_argument("--dir", default=str(ROOT / "var" / "chaos"), help="the stack's directory (wiped first)")
    parser.add_argument("--out", default=str(ROOT / "ops" / "results" / "chaos-latest.json"))
    options = parser.parse_args(argv)
    install_cleanup()
    chaos = Chaos(options.scale, Path(options.dir))
    try:
        code = chaos.run()
    finally:
        chaos.stopping.set()
        chaos.stack.stop()
    out = Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(chaos.result, indent=2) + "\n")
    say(f"wrote {out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
