"""The demo's seeded connections are real sandbox connections: a demo employee can share
without reconnecting, on a first start of the sandbox and after it restarts."""

import uuid

import pytest
from django.core.management import call_command

from advocacy.models import AccountStatus, Share, SocialAccount
from advocacy.services.sharing import ShareRequest, share_create
from content.selectors import content_visible_to
from sandbox import SandboxServer
from tests.conftest import point_chorus_at

pytestmark = pytest.mark.django_db


def share_once(account: SocialAccount) -> Share:
    shared = set(Share.objects.filter(user=account.user, network=account.network).values_list("item_id", flat=True))
    item = next(
        i for i in content_visible_to(account.user).order_by("pk")
        if account.network in i.networks and i.pk not in shared
    )
    [share] = share_create(user=account.user, item=item, request=ShareRequest(
        networks=[account.network], idempotency_key=uuid.uuid4().hex,
    ))
    share.refresh_from_db()
    return share


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_a_seeded_connection_posts_before_and_after_the_sandbox_restarts(
    network, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # budgets fail open; nothing here needs Redis
    call_command("seed_demo", verbosity=0)
    account = SocialAccount.objects.filter(network=network, status=AccountStatus.ACTIVE).order_by("pk").first()
    state = tmp_path / "sandbox-state.json"
    posted = []
    for _start in range(2):  # a first start, then a restart on the same state file
        sandbox = SandboxServer(state_file=state).start()
        try:
            point_chorus_at(sandbox, settings)
            with django_capture_on_commit_callbacks(execute=True):
                share = share_once(account)
            share.refresh_from_db()
            assert share.status == "posted", share.error_message
            stored = {p.id: p for p in sandbox.state.posts(network)}
            assert share.remote_id in stored and stored[share.remote_id].text.startswith(share.text[:20])
            posted.append(share.remote_id)
        finally:
            sandbox.stop()
    assert len(set(posted)) == 2
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
