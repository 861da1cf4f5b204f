"""Adapters pointed at the providers' real hosts (never reached: ``responses`` intercepts),
and loaders for the recorded real traffic under tests/fixtures/realdata."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from networks import NetworkConfig
from networks.linkedin import LinkedInAdapter
from networks.x import XAdapter

REALDATA = Path(__file__).resolve().parents[1] / "fixtures" / "realdata"

LINKEDIN_SECRET = "li-client-secret-Zq81"
X_SECRET = "x-client-secret-Pw42"
APP_BEARER = "app-bearer-AAAAAAAAAAAAAAAAAAAA-Kq9"


def realdata(name: str) -> Any:
    """A recorded response file, e.g. ``realdata("x/test_client_get_me.json")``."""
    return json.loads((REALDATA / name).read_text())


def linkedin_config(**overrides: Any) -> NetworkConfig:
    values: dict[str, Any] = {
        "network": "linkedin",
        "client_id": "li-client-id",
        "client_secret": LINKEDIN_SECRET,
        "auth_url": "https://www.linkedin.com/oauth/v2",
        "api_url": "https://api.linkedin.com",
        "web_url": "https://www.linkedin.com",
        "authorize_url": "https://www.linkedin.com/oauth/v2/authorization",
        "scopes": ("openid", "profile", "email", "w_member_social"),
        "linkedin_version": "202510",
        "analytics_enabled": True,
        "timeout": (2.0, 2.0),
    }
    values.update(overrides)
    return NetworkConfig(**values)


def x_config(**overrides: Any) -> NetworkConfig:
    """The recordings were made against api.twitter.com, so the API lives there."""
    from decimal import Decimal

    values: dict[str, Any] = {
        "network": "x",
        "client_id": "x-client-id",
        "client_secret": X_SECRET,
        "auth_url": "https://api.twitter.com/2/oauth2",
        "api_url": "https://api.twitter.com",
        "web_url": "https://x.com",
        "authorize_url": "https://x.com/i/oauth2/authorize",
        "scopes": ("tweet.read", "tweet.write", "users.read", "offline.access"),
        "analytics_enabled": True,
        "app_bearer_token": APP_BEARER,
        "timeout": (2.0, 2.0),
        "cost_post": Decimal("0.015"),
        "cost_post_with_url": Decimal("0.20"),
        "cost_read": Decimal("0.005"),
    }
    values.update(overrides)
    return NetworkConfig(**values)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def linkedin() -> LinkedInAdapter:
    return LinkedInAdapter(linkedin_config())


@pytest.fixture
def x() -> XAdapter:
    return XAdapter(x_config())
