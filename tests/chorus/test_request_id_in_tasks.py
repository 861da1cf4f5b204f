"""A share's posting task logs with the request id of the web request that created it.

The request publishes the task to a real (in-memory) broker; the message is then run the
way a worker runs it (``celery.worker.request.Request``: its headers become the task's
request, task_prerun/postrun fire), and every line it logs is read back as JSON.
"""

import io
import json
import logging

import pytest
from celery.worker.request import Request

from advocacy.models import Share
from advocacy.signals import share_posted
from chorus.celery import app as celery_app
from core.observability.context import current_request_id
from core.observability.logs import JSON_FIELDS, JsonFormatter, RequestContextFilter
from tests.factories import UserFactory, published_item
from tests.support import celery_broker, connect_account

pytestmark = pytest.mark.django_db

REQUEST_ID = "browser-req-5d1e9a"


@pytest.fixture
def memory_broker():
    """Tasks are published (not run inline) to kombu's in-memory transport."""
    with celery_broker("memory://"), celery_app.connection_for_read() as conn:
        channel = conn.default_channel
        for queue in ("shares", "default", "notify", "metrics"):
            channel.queue_declare(queue)
            channel.queue_purge(queue)
        yield channel
        for queue in ("shares", "default", "notify", "metrics"):
            channel.queue_purge(queue)


@pytest.fixture
def json_log():
    """Root logging at INFO through the production JSON formatter and request-context filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(JSON_FIELDS))
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def run_like_a_worker(message) -> None:
    task = celery_app.tasks[message.headers["task"]]
    # Celery caches a task's tracer, and with it whether INFO is enabled, the first time it
    # runs one in a process: built now, it logs the way this test's logging says.
    task.__trace__ = None
    Request(message, app=celery_app, task=task).execute()


@pytest.mark.django_db(transaction=True)  # real commits: the publish runs on commit, inside the request
def test_the_posting_task_logs_with_the_request_id_of_the_share_dialog(
    client, networks, redis_url, memory_broker, json_log
):
    ann = UserFactory()
    connect_account(ann, "x", networks)
    item = published_item(texts=[("x", "Worth a read")])
    client.force_login(ann)
    response = client.post(f"/share/{item.pk}/", {"networks": ["x"], "idempotency_key": "k1", "when": "now",
                                                  "text_x": "Worth a read"},
                           headers={"X-Request-ID": REQUEST_ID})
    assert response.status_code == 302 and response["X-Request-ID"] == REQUEST_ID
    assert current_request_id() is None  # the web request is over

    message = memory_broker.basic_get("shares", no_ack=True)
    assert message is not None and message.headers["task"] == "advocacy.share_post"
    assert message.headers["request_id"] == REQUEST_ID  # carried by the message itself
    share = Share.objects.get()
    assert message.headers["argsrepr"] == f"({share.pk},)"

    def listener(sender, share, **kwargs):  # as any code the task runs (receivers, services) logs
        logging.getLogger("tests.listener").info("share %s posted", share.pk)

    share_posted.connect(listener)
    before = len(json_log())
    try:
        run_like_a_worker(message)
    finally:
        share_posted.disconnect(listener)

    share.refresh_from_db()
    assert share.status == "posted"
    task_lines = json_log()[before:]
    assert task_lines, "the task logged nothing"
    # Every line the task wrote (Celery's own "succeeded" line included) has the request id.
    assert {line["request_id"] for line in task_lines} == {REQUEST_ID}
    assert [line["logger"] for line in task_lines] == ["tests.listener", "celery.app.trace"]
    assert task_lines[0]["message"] == f"share {share.pk} posted" and "succeeded" in task_lines[1]["message"]
    assert {line["task"] for line in task_lines} == {"advocacy.share_post"}
    assert current_request_id() is None  # and the worker forgot it after the task


def test_a_task_without_a_request_logs_without_one_and_does_not_inherit_the_last(memory_broker, json_log,
                                                                                  redis_url):
    from core.observability.context import request_id_bound
    from core.queueing import send

    with request_id_bound("earlier-request"):
        send("advocacy.heartbeat")
    send("advocacy.heartbeat")  # beat-like: no request around it
    first = memory_broker.basic_get("default", no_ack=True)
    second = memory_broker.basic_get("default", no_ack=True)
    assert first.headers["request_id"] == "earlier-request"
    assert "request_id" not in second.headers
    run_like_a_worker(first)
    mark = len(json_log())
    run_like_a_worker(second)
    lines = json_log()[mark:]
    assert lines and {line["request_id"] for line in lines} == {"-"}


def test_a_forged_request_id_header_on_a_message_is_not_used(memory_broker, json_log, redis_url):
    from core.queueing import send

    celery_app.tasks["advocacy.heartbeat"].apply_async(headers={"request_id": "bad id\nforged"})
    send("advocacy.heartbeat")
    message = memory_broker.basic_get("default", no_ack=True)
    run_like_a_worker(message)
    assert {line["request_id"] for line in json_log()} == {"-"}
