"""Several workers racing on the same share: exactly one posts (real threads, real database)."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from advocacy.models import Share
from advocacy.services.posting import share_post
from advocacy.services.sharing import ShareRequest, share_create
from tests.factories import UserFactory, published_item
from tests.support import connect_account


@pytest.mark.django_db(transaction=True)
def test_racing_workers_post_once(networks, redis_url):
    user = UserFactory(full_name="Racer")
    connect_account(user, "x", networks)
    connect_account(user, "linkedin", networks)
    item = published_item(url="https://example.com/race")
    # Scheduled, so nothing is enqueued (tasks are eager in tests); then queue them to race on.
    shares = share_create(user=user, item=item, request=ShareRequest(
        networks=["x", "linkedin"], idempotency_key="r", scheduled_for=timezone.now() + timedelta(hours=1)))
    Share.objects.filter(pk__in=[s.pk for s in shares]).update(status="queued")
    before = {n: len(networks.state.posts(n)) for n in ("x", "linkedin")}
    outcomes: list[str | None] = []
    barrier = threading.Barrier(4)

    def worker(share_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcome = share_post(share_id=share_id)
            outcomes.append(outcome.status if outcome else None)
        except OperationalError:
            # SQLite's shared in-memory test database refuses concurrent writers outright
            # ("table is locked"); a real worker would crash and its task be redelivered.
            outcomes.append("crashed")
        finally:
            connection.close()

    for share in shares:
        threads = [threading.Thread(target=worker, args=(share.pk,)) for _ in range(4)]
        barrier.reset()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(o for o in outcomes if o not in (None, "crashed")) == ["posted", "posted"]
    # The other workers found the share already claimed (or, on SQLite, could not write).
    assert outcomes.count(None) + outcomes.count("crashed") == 6
    # Exactly one new post per network, whatever the race.
    assert {n: len(networks.state.posts(n)) - before[n] for n in ("x", "linkedin")} == {"x": 1, "linkedin": 1}
