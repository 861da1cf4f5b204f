#!/usr/bin/env python3
"""Backups are only real once restored: dump the stack's database, restore it into a fresh
database, point the app at the copy and check that it runs.

1. ``pg_dump --format=custom`` of the live database (as the README's Operations section
   says to take it), while the stack keeps running;
2. a new database owned by the app's role, ``pg_restore --no-owner --role=chorus`` into it;
3. with ``DATABASE_URL`` pointing at the copy: ``manage.py migrate --check`` (nothing to
   apply: the schema came back whole), row counts of people and content equal to the live
   ones and shares between the counts before and after the dump;
4. a gunicorn on the copy: ``/healthz`` answers 200 (its database is the copy), a demo
   advocate logs in and the feed lists items;
5. the copy is dropped, the dump kept in ``<stack>/backups/``.

Run by ``python ops/stack.py smoke`` (``make stack-smoke``) after the smoke journey.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from ops.client import Portal  # noqa: E402
from ops.launcher import gunicorn_argv  # noqa: E402
from ops.stack import BIN, PGBIN, Stack, free_port, say  # noqa: E402

STABLE_TABLES = ("accounts_user", "accounts_team", "content_contentitem", "advocacy_socialaccount")


def _counts(url: str, tables: tuple[str, ...]) -> dict[str, int]:
    with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=10) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608  (our names)


def run(stack: Stack) -> bool:
    say("backup and restore: pg_dump, restore into a fresh database, run the app on it")
    ok = True

    def check(name: str, passed: bool, detail: str = "") -> None:
        nonlocal ok
        ok = ok and passed
        sys.stdout.write(f"   {'ok  ' if passed else 'FAIL'} {name}{f' ({detail})' if detail else ''}\n")
        sys.stdout.flush()

    backups = stack.dir / "backups"
    backups.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dump = backups / f"chorus-{stamp}.dump"
    restored = f"chorus_restore_{stamp.replace('-', '_')}"
    restored_url = stack.database_url.rsplit("/", 1)[0] + f"/{restored}"
    client = {"PGPASSWORD": "chorus", "PATH": f"{PGBIN}:{BIN}:/usr/bin:/bin"}
    base = ["-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", "chorus"]

    before = _counts(stack.database_url, (*STABLE_TABLES, "advocacy_share"))
    began = time.monotonic()
    stack.run([str(PGBIN / "pg_dump"), *base, "--format=custom", "--file", str(dump), "chorus"], env=client)
    after = _counts(stack.database_url, ("advocacy_share",))
    check("pg_dump --format=custom of the live database", dump.stat().st_size > 0,
          f"{dump.stat().st_size // 1024} KiB in {time.monotonic() - began:.1f} s")

    web = None
    stack.psql(f"CREATE DATABASE {restored} OWNER chorus")
    try:
        began = time.monotonic()
        stack.run([str(PGBIN / "pg_restore"), *base, "--no-owner", "--role=chorus", "--exit-on-error",
                   "-d", restored, str(dump)], env=client)
        check("pg_restore into a fresh database", True, f"{time.monotonic() - began:.1f} s")
        env = {**stack.env, "DATABASE_URL": restored_url}
        migrate = stack.run([sys.executable, "manage.py", "migrate", "--check", "--noinput"], env=env, check=False)
        check("manage.py migrate --check on the copy: nothing to apply", migrate.returncode == 0,
              "" if migrate.returncode == 0 else (migrate.stdout + migrate.stderr).strip()[-300:])
        copy = _counts(restored_url, (*STABLE_TABLES, "advocacy_share"))
        check("people, teams, content and connections: the same row counts",
              all(copy[t] == before[t] for t in STABLE_TABLES), ", ".join(f"{t}={copy[t]}" for t in STABLE_TABLES))
        check("shares: as many as at the dump", before["advocacy_share"] <= copy["advocacy_share"]
              <= after["advocacy_share"], f"{copy['advocacy_share']} (live {before['advocacy_share']}"
              f"…{after['advocacy_share']})")

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        web = stack.processes.spawn("web-restored", gunicorn_argv(port, 1, "--timeout", "60"),
                                    {**env, "SITE_URL": url})
        status, body = 0, {}
        deadline = time.monotonic() + 90
        probe = Stack(stack.dir)
        probe.web_port = port
        while time.monotonic() < deadline and web.poll() is None:
            status, body = probe.healthz()
            if status:
                break
            time.sleep(0.5)
        database_ok = body.get("checks", {}).get("database", {}).get("ok")
        check("the app on the copy: /healthz answers 200", status == 200 and bool(database_ok),
              f"{status} down={body.get('down')}")
        portal = Portal(url, "liam.carter@chorus.example")
        portal.login()
        items = portal.feed_items()
        check("the app on the copy: an advocate logs in and sees the feed", bool(items), f"{len(items)} items")
    except Exception as exc:  # reported as a failure; the copy is dropped below either way
        check("the restore check ran to the end", False, f"{type(exc).__name__}: {exc}")
    finally:
        if web is not None:
            stack.terminate("web-restored")
        stack.psql(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
    return ok


if __name__ == "__main__":
    sys.stdout.write("Run it with the stack: python ops/stack.py smoke (make stack-smoke).\n")
    sys.exit(2)
