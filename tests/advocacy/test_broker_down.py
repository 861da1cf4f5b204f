"""The web stays up when Redis is down: the share is recorded and dispatched later."""

import time

import pytest

from advocacy.models import Share
from advocacy.services.sharing import ShareRequest, share_create
from chorus.celery import app as celery_app
from tests.conftest import free_port
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


def _reset_connections() -> None:
    """Forget the app's pools so the next publish connects to the configured URL (the old
    pools stay open: kombu's global producer registry still hands them out)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    # Celery reads Django's CELERY_-prefixed names, so override those keys.
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
    conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    _reset_connections()  # nothing listens on that port: every publish fails like a dead Redis
    yield
    conf.update(saved)
    _reset_connections()


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
