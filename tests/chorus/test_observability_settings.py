"""The observability settings as a real process reads them from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from chorus.settings.base import SQLITE_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, logging; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE']); "
    "logging.getLogger('chorus.probe').warning('hello %s', 'access_token=at-Q1')"
)


def run_chorus(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("METRICS_", "LOG_", "SENTRY_", "DATABASE_"))}
    environ.update(DJANGO_SETTINGS_MODULE="chorus.settings", DEBUG="1", **env)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)


def _probe_line(stderr: str) -> str:
    [line] = [line for line in stderr.splitlines() if "chorus.probe" in line]
    return line


def test_by_default_logs_are_readable_text_and_the_database_is_not_instrumented():
    done = run_chorus()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "django.db.backends.sqlite3"
    line = _probe_line(done.stderr)
    assert line.endswith(" WARNING chorus.probe [-] hello access_token=[redacted]")


def test_log_format_json_and_metrics_on():
    done = run_chorus(LOG_FORMAT="json", METRICS_TOKEN="t0k3n-for-scrapes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "django_prometheus.db.backends.sqlite3"  # query metrics with /metrics
    record = json.loads(_probe_line(done.stderr))
    assert record["level"] == "WARNING" and record["logger"] == "chorus.probe" and record["request_id"] == "-"
    assert record["message"] == "hello access_token=[redacted]"


def test_an_unknown_log_format_stops_the_boot_with_a_clear_message():
    done = run_chorus(LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "LOG_FORMAT must be one of text, json, not 'xml'" in done.stderr


@pytest.fixture
def database_files(django_db_blocker):
    """Lets the test open its own database file (pytest-django blocks access otherwise)."""
    with django_db_blocker.unblock():
        yield


def test_the_instrumented_sqlite_backend_works_with_our_sqlite_options(tmp_path, database_files):
    from django_prometheus.db import execute_total

    alias = "instrumented_sqlite_check"
    connections.settings[alias] = connections.configure_settings({"default": {
        "ENGINE": "django_prometheus.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3"),
        "OPTIONS": dict(SQLITE_OPTIONS),
    }})["default"]
    try:
        before = execute_total.labels(alias, "sqlite")._value.get()
        with connections[alias].cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"  # our init_command ran
            cursor.execute("SELECT 1")
        assert execute_total.labels(alias, "sqlite")._value.get() == before + 2
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


REQUESTS = (
    "import django; django.setup(); from django.test import Client; "
    "[Client(HTTP_HOST='localhost').get('/no-such-page/') for _ in range(3)]"
)
SCRAPE = (
    "import django; django.setup(); import chorus.metrics as m; "
    "m.ChorusCollector.collect = lambda self: iter(()); "  # only the per-process metrics here
    "print(m.metrics_text().decode())"
)


def test_with_a_multiprocess_directory_a_scrape_sums_every_process(tmp_path):
    """gunicorn's workers are separate processes: the one answering /metrics shows them all."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("METRICS_", "LOG_", "SENTRY_", "DATABASE_"))}
    environ.update(DJANGO_SETTINGS_MODULE="chorus.settings", DEBUG="1", PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
                   DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for _ in range(2):  # two "workers", three requests each
        done = subprocess.run([sys.executable, "-c", REQUESTS], cwd=ROOT, env=environ, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-c", SCRAPE], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    from prometheus_client.parser import text_string_to_metric_families

    samples = [s for family in text_string_to_metric_families(done.stdout) for s in family.samples]
    [not_found] = [s for s in samples if s.name == "django_http_responses_total_by_status_total"
                   and s.labels.get("status") == "404"]
    assert not_found.value == 6
