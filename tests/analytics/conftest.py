"""Fixtures and builders for the analytics tests."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from advocacy.links import links_forget
from advocacy.models import Share
from analytics.services import clicks as clicks_service
from analytics.services import visitors
from tests.factories import SocialAccountFactory, UserFactory, published_item


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Per-process hints (today's salt, "Redis is down") must not leak between tests."""
    visitors._salt_cache.clear()
    clicks_service._redis_down_until = 0.0
    links_forget()
    yield
    visitors._salt_cache.clear()
    clicks_service._redis_down_until = 0.0
    links_forget()


@pytest.fixture
def no_redis(settings):
    """Chorus pointed at a Redis that is not there (a closed loopback port)."""
    from tests.conftest import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    return settings.REDIS_URL


_remote = iter(range(10**17, 10**18))


def posted_share(*, user=None, network: str = "linkedin", item=None, posted_at: datetime | None = None,
                 audience: int | None = 500, remote_id: str | None = None, account=None, scopes: str | None = None,
                 status: str = "posted") -> Share:
    """A share as the posting service leaves it (no network involved)."""
    if account is None:
        user = user or UserFactory()
        account = user.social_accounts.filter(network=network).first() or SocialAccountFactory(
            user=user, network=network, audience_size=audience,
            **({"scopes": scopes} if scopes is not None else {}),
        )
    user = account.user
    item = item or published_item()
    if remote_id is None:
        number = next(_remote)
        remote_id = f"urn:li:share:{number}" if network == "linkedin" else str(number)
    return Share.objects.create(
        user=user, item=item, network=network, account=account, text="t", final_text="t",
        idempotency_key=f"k{next(_remote)}", status=status,
        posted_at=(posted_at or timezone.now() - timedelta(minutes=5)) if status == "posted" else None,
        remote_id=remote_id if status == "posted" else "", audience_size=audience,
    )
