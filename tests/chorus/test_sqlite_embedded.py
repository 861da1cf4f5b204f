"""SQLite as a real embedded default: concurrent read-then-write transactions (what the
rollup and heartbeat tasks do, from the web, worker and beat processes at once) neither
fail with "database is locked" nor lose an update (issue 16).

Runs on a temporary database *file* with the project's SQLite options, in threads that
each have their own connection, through Django's ``transaction.atomic`` — and shows the
same load failing without ``BEGIN IMMEDIATE``, so the test proves the setting matters.
"""

import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connections, transaction

from chorus.settings.base import SQLITE_OPTIONS

ALIAS = "embedded_sqlite_check"
WORKERS, ROUNDS = 4, 25


def _increment_concurrently(path: Path, options: dict, *, workers: int = WORKERS, rounds: int = ROUNDS,
                            barrier: threading.Barrier | None = None) -> tuple[int, list[str]]:
    connections.settings[ALIAS] = connections.configure_settings(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}}
    )["default"]
    try:
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (1, 0)")
        connections[ALIAS].close()
        errors: list[str] = []

        def work() -> None:
            for _ in range(rounds):
                try:
                    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
                        cursor.execute("SELECT n FROM counter WHERE id = 1")
                        (n,) = cursor.fetchone()
                        if barrier is not None:
                            barrier.wait(timeout=10)  # both have read before either writes
                        else:
                            time.sleep(0.001)  # another process gets in between read and write
                        cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
                except OperationalError as exc:
                    errors.append(str(exc))
            connections[ALIAS].close()

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("SELECT n FROM counter WHERE id = 1")
            (total,) = cursor.fetchone()
        connections[ALIAS].close()
        return total, errors
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]


@pytest.fixture
def database_files(django_db_blocker):
    """Lets the test open its own database files (pytest-django blocks access otherwise)."""
    with django_db_blocker.unblock():
        yield


def test_concurrent_read_then_write_transactions_all_succeed(tmp_path, database_files):
    total, errors = _increment_concurrently(tmp_path / "chorus.sqlite3", SQLITE_OPTIONS)
    assert errors == []
    assert total == WORKERS * ROUNDS  # no lost update either


def test_without_begin_immediate_a_reader_turned_writer_fails(tmp_path, database_files):
    """Two deferred transactions both read, then both write: the second cannot wait for
    the lock and fails at once. (With BEGIN IMMEDIATE the second waits at BEGIN, so this
    interleaving cannot happen — a barrier here would just wait.)"""
    deferred = {key: value for key, value in SQLITE_OPTIONS.items() if key != "transaction_mode"}
    total, errors = _increment_concurrently(tmp_path / "deferred.sqlite3", deferred, workers=2, rounds=1,
                                            barrier=threading.Barrier(2))
    assert len(errors) == 1 and "database is locked" in errors[0]
    assert total == 1
