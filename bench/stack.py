"""The benchmark's own production-shaped stack: PostgreSQL 15, Redis, the sandbox networks,
gunicorn (2 sync workers, DEBUG off) and Celery (2 processes), started with the launcher
``ops/stack.py`` uses too (``ops/launcher.py``); what is the harness's own is here.

Everything lives under ``var/bench/`` (or ``$BENCH_VAR``): the PostgreSQL cluster of each scale is kept there
(``pg-small``, ``pg-full``) so a seeded database is reused by the next run, logs go to
``var/bench/logs``. Redis and the sandbox start empty every run.
"""

import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from ops.launcher import (
    BIN,
    DEFAULT_PGBIN,
    PYTHON,
    ROOT,
    Processes,
    celery_worker_argv,
    chorus_env,
    free_port,
    gunicorn_argv,
    http_ok,
    redis_argv,
    redis_ping,
    sandbox_argv,
    wait_until,
)
from ops.launcher import Postgres as Cluster

__all__ = ["LOGS", "PGBIN", "ROOT", "VAR", "Postgres", "Stack", "child_pids", "free_port", "peak_rss_mb"]

# BENCH_VAR moves it elsewhere (two harness runs side by side each need their own).
VAR = Path(os.environ.get("BENCH_VAR") or ROOT / "var" / "bench")
LOGS = VAR / "logs"
PGBIN = Path(os.environ.get("BENCH_PGBIN", DEFAULT_PGBIN))
# A fixed, bench-only key pair: never used anywhere else.
SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789abcdefghij"  # noqa: S105  (bench only)
FERNET_KEY = "YmVuY2gtb25seS1mZXJuZXQta2V5LTMyLWJ5dGVzISE="
# PostgreSQL while the harness measures: production-like durability (fsync on) and
# memory a 2-core / 23 GB machine can give it. The seed runs with fsync off (say so).
PG_SETTINGS = {
    "shared_buffers": "1GB", "work_mem": "64MB", "effective_cache_size": "4GB",
    "maintenance_work_mem": "512MB", "max_connections": "100", "max_wal_size": "4GB",
}
SEED_ONLY_SETTINGS = {"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off"}
SEE_LOGS = f"; see {LOGS}"


class Postgres(Cluster):
    """The cluster of one scale, kept in ``var/bench/pg-<scale>`` with its seeded database
    ``chorus_bench`` (reused while the seed version matches)."""

    def __init__(self, scale: str) -> None:
        super().__init__(VAR / f"pg-{scale}", pgbin=PGBIN, port=free_port(), pgbin_variable="BENCH_PGBIN",
                         error=RuntimeError)
        self.scale = scale
        self.fast = False  # fsync off (seeding)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/chorus_bench"

    def start(self, *, fast: bool = False) -> None:
        self.prepare()
        if not self.initialised:
            self.initdb()
        self.fast = fast
        super().start({**PG_SETTINGS, **(SEED_ONLY_SETTINGS if fast else {})}, wait=120)
        self.ensure_database("chorus_bench")

    def wipe(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Stack:
    """Ports, environment and processes of one run."""

    def __init__(self, scale: str) -> None:
        self.scale = scale
        self.pg = Postgres(scale)
        self.redis_port = free_port()
        self.sandbox_port = free_port()
        self.metrics_sandbox_port = free_port()
        self.web_port = free_port()
        self.processes = Processes(LOGS)

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sandbox(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def metrics_sandbox(self) -> str:
        return f"http://127.0.0.1:{self.metrics_sandbox_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every Chorus process: production settings (DEBUG off) with
        bench-only secrets, plain HTTP on loopback, the sandbox networks."""
        return chorus_env(
            settings="bench.settings", secrets={"SECRET_KEY": SECRET_KEY, "TOKEN_ENCRYPTION_KEYS": FERNET_KEY},
            database_url=self.pg.url, redis_url=f"redis://127.0.0.1:{self.redis_port}/0", site_url=self.web,
            sandbox_url=self.sandbox, static_root=VAR / "static", media_root=VAR / "media",
            extra={
                "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
                "DEMO_APPS": "0",
                "EMAIL_BACKEND": "bench.mail.DiscardingBackend",
                "LOG_LEVEL": "WARNING",
                # The API's per-token throttle would answer 429 to a load generator.
                "API_THROTTLE_RATE": "100000000/minute",
                # The sweeps take everything due in one go at both scales.
                "ANALYTICS_POLL_MAX_SHARES": "200000",
                "ANALYTICS_X_LOOKUPS_PER_15_MIN": "100000",
                "ANALYTICS_LINKEDIN_CALLS_PER_DAY": "10000000",
                "X_APP_POSTS_PER_24_H": "10000000",
                **extra,
            },
        )

    def add(self, name: str, cmd: list[str], **extra: str) -> subprocess.Popen:
        return self.processes.spawn(name, cmd, self.env(**extra))

    def start_redis(self) -> None:
        folder = VAR / "redis"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        proc = self.add("redis", redis_argv(self.redis_port, folder, save=""))
        wait_until(lambda: redis_ping(self.redis_port), "redis", process=proc, hint=SEE_LOGS)

    def start_sandbox(self, *, name: str = "sandbox", port: int | None = None, state_file: str = "") -> None:
        port = port or self.sandbox_port
        # The sandbox enforces the real networks' rate limits; the benchmark measures Chorus,
        # whose own budgets (in Redis) still apply, so the sandbox's are lifted.
        limits = {"x_lookup_per_window": 10**7, "x_user_posts_per_window": 10**7, "x_user_posts_per_day": 10**7,
                  "x_app_posts_per_day": 10**8, "linkedin_member_daily_posts": 10**7}
        cmd = ([PYTHON, "-m", "bench.metrics_sandbox", "--port", str(port), "--state-file", state_file] if state_file
               else sandbox_argv(port, ""))
        proc = self.add(name, cmd, DEMO_APPS="1", SANDBOX_CONFIG=json.dumps(limits))
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/_sandbox/health"), name, process=proc, hint=SEE_LOGS)

    def start_web(self) -> subprocess.Popen:
        proc = self.add("gunicorn", gunicorn_argv(self.web_port, 2, "--worker-class", "sync", "--backlog", "2048",
                                                  "--timeout", "120", "--log-level", "warning"))
        wait_until(lambda: http_ok(f"{self.web}/_bench/bare"), "gunicorn", process=proc, hint=SEE_LOGS)
        return proc

    def start_workers(self) -> subprocess.Popen:
        """One worker, two prefork processes, every queue (no beat: the harness sends what beat would)."""
        return self.add("celery", celery_worker_argv("shares,notify,metrics,default", 2, "--without-heartbeat",
                                                     loglevel="WARNING"))

    def stop(self) -> None:
        self.processes.terminate_all(grace=15)
        self.pg.stop()


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Celery's pool processes)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
