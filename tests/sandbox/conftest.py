"""Fixtures for the sandbox networks: a real server on a loopback port per test.

``sandbox`` (default config) and ``make_sandbox(**config)`` are meant to move to the shared
tests/conftest.py so the network-client tests can use them too.
"""

from collections.abc import Callable, Iterator

import pytest

from sandbox import SandboxConfig, SandboxServer


@pytest.fixture(autouse=True)
def _oauthlib_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses http:// URLs; the sandbox is plain HTTP on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start a sandbox with ``SandboxConfig`` overrides, e.g. ``make_sandbox(linkedin_partner_app=True)``."""
    servers: list[SandboxServer] = []

    def start(**overrides: object) -> SandboxServer:
        server = SandboxServer(config=SandboxConfig(**overrides)).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A running sandbox with the default (demo) configuration and an empty state."""
    return make_sandbox()
