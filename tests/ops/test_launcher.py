"""The launcher ops/stack.py and bench/stack.py share (ops/launcher.py): ports, process groups, environment."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops.launcher import Postgres, Processes, chorus_env, free_port, wait_until


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is as good as gone.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _child_pid(parent: int, seconds: float = 10) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent:
                    return int(entry.name)
        time.sleep(0.05)
    raise AssertionError(f"{parent} started no child")


def test_free_port_keeps_the_wanted_port_when_free_and_moves_off_a_taken_one():
    port = free_port()
    assert free_port(port) == port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        other = free_port(port)
    assert other != port
    assert 0 < other < 65536


# A parent that starts a child and both sleep: the child stands for gunicorn's workers or Celery's pool.
FAMILY = [sys.executable, "-c", "import subprocess, sys, time; print('up', flush=True); "
          "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); time.sleep(120)"]


def test_terminate_stops_the_whole_process_group_and_keeps_the_log(tmp_path):
    processes = Processes(tmp_path / "logs")
    parent = processes.spawn("family", FAMILY, dict(os.environ))
    child = _child_pid(parent.pid)

    processes.terminate("family", grace=10)

    assert _wait_gone(parent.pid)
    assert _wait_gone(child)
    assert "family" not in processes.procs
    assert processes.log_path("family").read_text().startswith("up")


def test_a_name_runs_once_at_a_time(tmp_path):
    processes = Processes(tmp_path)
    processes.spawn("one", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    try:
        with pytest.raises(RuntimeError, match="already running"):
            processes.spawn("one", [sys.executable, "-c", "pass"], dict(os.environ))
    finally:
        processes.terminate_all()
    assert processes.procs == {}


def test_kill_takes_down_a_stopped_group(tmp_path):
    processes = Processes(tmp_path)
    parent = processes.spawn("family", FAMILY, dict(os.environ))
    child = _child_pid(parent.pid)
    processes.signal("family", signal.SIGSTOP)

    processes.kill("family")

    assert parent.returncode == -signal.SIGKILL
    assert _wait_gone(child)
    assert processes.procs == {}


def test_wait_until_reports_a_process_that_died_before_it_was_ready(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match="thing exited with 3; see the log"):
        wait_until(lambda: False, "thing", timeout=30, process=process, hint="; see the log")


def test_wait_until_gives_up_after_its_timeout_with_the_last_error():
    def check():
        raise ConnectionRefusedError("refused")

    with pytest.raises(SystemExit, match=r"thing did not come up within 0 s \(refused\)"):
        wait_until(check, "thing", timeout=0.3, error=SystemExit)


def test_chorus_env_replaces_the_callers_django_database_and_redis_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere")
    monkeypatch.setenv("REDIS_PASSWORD", "from the shell")
    monkeypatch.setenv("HOME_FOR_TEST", "kept")

    env = chorus_env(settings="bench.settings", secrets={"SECRET_KEY": "s", "DATABASE_URL": "not this one"},
                     database_url="postgres://db", redis_url="redis://r", site_url="http://site",
                     sandbox_url="http://sandbox", static_root=tmp_path / "static", media_root=tmp_path / "media",
                     extra={"LOG_LEVEL": "WARNING", "SITE_URL": "http://extra"})

    assert env["DJANGO_SETTINGS_MODULE"] == "bench.settings"
    assert env["DEBUG"] == "0"
    assert env["DATABASE_URL"] == "postgres://db"  # the stack's own, whatever a secrets file says
    assert "REDIS_PASSWORD" not in env
    assert env["HOME_FOR_TEST"] == "kept"
    assert env["SECRET_KEY"] == "s"
    assert env["SITE_URL"] == "http://extra"  # extra wins
    assert env["STATIC_ROOT"] == str(tmp_path / "static")
    assert (env["SECURE_SSL_REDIRECT"], env["NETWORKS_SANDBOX"]) == ("0", "1")


@pytest.mark.parametrize("name", ["chorus; DROP DATABASE x", "Chorus", "1chorus", ""])
def test_only_plain_identifiers_reach_psql(tmp_path, name):
    cluster = Postgres(tmp_path, pgbin=tmp_path / "no-such-bin", error=RuntimeError)
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        cluster.ensure_database(name)
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        cluster.ensure_role(name, "secret")


def test_a_missing_postgresql_says_how_to_install_it(tmp_path):
    cluster = Postgres(tmp_path / "pg", pgbin=tmp_path / "no-such-bin", pgbin_variable="BENCH_PGBIN",
                       error=RuntimeError)
    with pytest.raises(RuntimeError, match="apt-get install -y postgresql-15 \\(or set BENCH_PGBIN\\)"):
        cluster.prepare()
    assert not (tmp_path / "pg").exists()
