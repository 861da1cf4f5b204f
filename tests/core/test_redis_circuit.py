"""The web's Redis circuit is machine-wide (issue 16, item 1): one process's timeout makes
every process on the machine skip Redis until the backoff has passed, through a stamp file
in ``REDIS_WEB_CIRCUIT_DIR``; so a busy gunicorn pays one short timeout per backoff, not one
per worker.

The other process is a real one (a fresh Python with only ``core.redis`` and the settings it
reads), on a real redis-server frozen with SIGSTOP where the test needs a hung Redis."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import redis

import core.redis
from core.redis import RedisSkipped, web_redis, web_redis_down, web_redis_failed, web_redis_reset
from tests.conftest import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]


def other_process(code: str, *, url: str, folder: str, backoff: float = 30.0, timeout: float = 0.2) -> str:
    """Run ``code`` in another Python process with the circuit's settings; its stdout."""
    script = textwrap.dedent(f"""
        from django.conf import settings
        settings.configure(REDIS_URL={url!r}, REDIS_WEB_CIRCUIT_DIR={folder!r},
                           REDIS_WEB_BACKOFF_SECONDS={backoff!r}, REDIS_WEB_TIMEOUT={timeout!r})
        import redis
        from core.redis import web_redis, web_redis_down, web_redis_failed
    """) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def circuit(settings, tmp_path):
    settings.REDIS_WEB_CIRCUIT_DIR = str(tmp_path / "circuit")
    settings.REDIS_WEB_BACKOFF_SECONDS = 30.0
    settings.REDIS_WEB_TIMEOUT = 0.2
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    web_redis_reset()
    yield settings
    web_redis_reset()


def test_a_circuit_opened_by_another_process_is_seen_here(circuit):
    assert not web_redis_down()
    other_process("web_redis_failed(redis.TimeoutError('hung'))",
                  url=circuit.REDIS_URL, folder=circuit.REDIS_WEB_CIRCUIT_DIR)
    assert web_redis_down()
    with pytest.raises(RedisSkipped), web_redis():
        pytest.fail("Redis was asked")


def test_a_circuit_opened_here_is_seen_by_another_process(circuit):
    web_redis_failed(redis.ConnectionError("refused"))
    seen = other_process("print(web_redis_down())", url=circuit.REDIS_URL, folder=circuit.REDIS_WEB_CIRCUIT_DIR)
    assert seen == "True"
    other_url = f"redis://127.0.0.1:{free_port()}/0"  # per Redis: another one is still asked
    assert other_process("print(web_redis_down())", url=other_url, folder=circuit.REDIS_WEB_CIRCUIT_DIR) == "False"


def test_the_circuit_closes_for_everyone_after_the_backoff(circuit):
    circuit.REDIS_WEB_BACKOFF_SECONDS = 1.0
    other_process("web_redis_failed(redis.TimeoutError('hung'))", url=circuit.REDIS_URL,
                  folder=circuit.REDIS_WEB_CIRCUIT_DIR, backoff=1.0)
    assert web_redis_down()
    time.sleep(1.3)
    assert not web_redis_down()
    assert other_process("print(web_redis_down())", url=circuit.REDIS_URL, folder=circuit.REDIS_WEB_CIRCUIT_DIR,
                         backoff=1.0) == "False"


def test_a_hung_redis_costs_the_machine_one_timeout(circuit):
    server = RedisServer()
    server.start()
    try:
        circuit.REDIS_URL = server.url
        web_redis_reset()
        with web_redis() as client:
            client.ping()
        server.proc.send_signal(signal.SIGSTOP)
        # Another worker meets the hung Redis first and pays the short timeout...
        waited = other_process("""
            import time
            started = time.monotonic()
            try:
                with web_redis() as client:
                    client.ping()
            except redis.TimeoutError:
                print(round(time.monotonic() - started, 3))
        """, url=server.url, folder=circuit.REDIS_WEB_CIRCUIT_DIR)
        assert 0.15 <= float(waited) < 2.0, waited
        # ... and this one, which had never seen it fail, does not wait at all.
        started = time.monotonic()
        with pytest.raises(RedisSkipped), web_redis() as client:
            client.ping()
        assert time.monotonic() - started < 0.1
    finally:
        server.proc.send_signal(signal.SIGCONT)
        server.stop()


def test_a_stamp_further_ahead_than_a_backoff_is_ignored(circuit):
    web_redis_failed(redis.TimeoutError("hung"))
    core.redis._web_down_until.clear()
    stamp = next(Path(circuit.REDIS_WEB_CIRCUIT_DIR).iterdir())
    far = time.time() + 3600  # a clock set back an hour must not silence Redis for an hour
    os.utime(stamp, (far, far))
    assert not web_redis_down()


def test_a_folder_others_can_write_to_is_not_used(circuit, caplog):
    folder = Path(circuit.REDIS_WEB_CIRCUIT_DIR + "-shared")
    folder.mkdir()
    folder.chmod(0o777)
    circuit.REDIS_WEB_CIRCUIT_DIR = str(folder)
    core.redis._stamp_path.cache_clear()
    web_redis_failed(redis.TimeoutError("hung"))
    assert web_redis_down()  # still per process
    assert list(folder.iterdir()) == []
    assert "not this user's alone" in caplog.text
    assert other_process("print(web_redis_down())", url=circuit.REDIS_URL, folder=str(folder)) == "False"


def test_without_a_folder_the_circuit_is_per_process(circuit):
    circuit.REDIS_WEB_CIRCUIT_DIR = ""
    web_redis_failed(redis.TimeoutError("hung"))
    assert web_redis_down()
    core.redis._web_down_until.clear()
    assert not web_redis_down()
