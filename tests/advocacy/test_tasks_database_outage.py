"""The posting task when the database has gone (a restart, a failover): the message is sent
again in ``DB_RETRY_SECONDS`` instead of waiting minutes for the stale sweep, and the retry
posts the share once the database is back. A real (in-memory) broker carries the messages,
the worker's own request machinery runs them, the sandbox receives the post."""

import pytest
from django.db import OperationalError, connection

from advocacy.models import Share
from advocacy.tasks import DB_RETRY_SECONDS
from tests.chorus.test_request_id_in_tasks import memory_broker, run_like_a_worker  # noqa: F401 (fixture)
from tests.factories import UserFactory, published_item
from tests.support import connect_account

pytestmark = pytest.mark.django_db(transaction=True)


def database_down(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_share_whose_worker_finds_the_database_gone_is_retried_and_posted_once(
    client, networks, redis_url, memory_broker  # noqa: F811
):
    ann = UserFactory()
    connect_account(ann, "x", networks)
    item = published_item(texts=[("x", "Worth a read")])
    client.force_login(ann)
    response = client.post(f"/share/{item.pk}/", {"networks": ["x"], "idempotency_key": "k1", "when": "now",
                                                  "text_x": "Worth a read"})
    assert response.status_code == 302
    share = Share.objects.get()
    first = memory_broker.basic_get("shares", no_ack=True)

    with connection.execute_wrapper(database_down):
        run_like_a_worker(first)

    retry = memory_broker.basic_get("shares", no_ack=True)
    assert retry is not None, "no retry was sent"
    assert retry.headers["task"] == "advocacy.share_post" and retry.headers["retries"] == 1
    assert retry.headers["eta"] is not None  # DB_RETRY_SECONDS later
    assert DB_RETRY_SECONDS <= 30
    share.refresh_from_db()
    assert share.status == "queued"  # nothing was claimed while the database was away

    run_like_a_worker(retry)
    share.refresh_from_db()
    assert share.status == "posted" and share.remote_id
    assert [p.id for p in networks.state.posts("x")] == [share.remote_id]  # one post, its own
    assert memory_broker.basic_get("shares", no_ack=True) is None  # nothing else queued: posted once
