"""The web stays up when Redis is down: the share is recorded and dispatched later."""

import time

import pytest

from advocacy.models import Share
from advocacy.services.sharing import ShareRequest, share_create
from tests.conftest import free_port
from tests.factories import SocialAccountFactory, UserFactory, published_item
from tests.support import celery_broker

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_broker():
    # Nothing listens on that port: every publish fails like a dead Redis.
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        yield


def test_sharing_while_the_broker_is_down_records_the_share_quickly(dead_broker, client, caplog,
                                                                    django_capture_on_commit_callbacks):
    user = UserFactory()
    SocialAccountFactory(user=user, network="linkedin")
    item = published_item()
    client.force_login(user)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/share/{item.pk}/", {"networks": ["linkedin"], "idempotency_key": "k",
                                                      "when": "now", "text_linkedin": "Hello"})
    elapsed = time.monotonic() - started
    assert response.status_code == 302  # the employee sees "sharing…", not an error page
    assert elapsed < 5
    assert "could not enqueue advocacy.share_post" in caplog.text  # the publish really failed
    share = Share.objects.get()
    assert share.status == "queued" and share.enqueued_at is not None  # the sweep will dispatch it
    assert share_create(user=user, item=item, request=ShareRequest(networks=["linkedin"], idempotency_key="k"))
