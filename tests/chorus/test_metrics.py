"""/metrics: protected, Prometheus' text format, and numbers that match what happened."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

import core.observability.counters
from advocacy.models import Share
from advocacy.services.breaker import breaker_failure
from advocacy.services.posting import share_post
from analytics.models import DailyTotals
from notifications.models import DeliveryKind, EmailDelivery
from notifications.services.schedule import weekly_period
from tests.conftest import free_port
from tests.factories import SocialAccountFactory, UserFactory, published_item
from tests.support import celery_broker, connect_account

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-Zq81"


@pytest.fixture(autouse=True)
def _counting_not_backing_off():
    """Counting in Redis backs off per process after a failure: each test starts afresh."""
    core.observability.counters._down_until = 0.0
    yield
    core.observability.counters._down_until = 0.0


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return settings


def scrape(client, **headers) -> dict[str, list]:
    """GET /metrics with the token; {family name: samples}, parsed by prometheus_client."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: family.samples for family in text_string_to_metric_families(response.content.decode())}


def value(families, family: str, sample: str | None = None, **labels) -> float:
    sample = sample or family
    found = [s.value for s in families[family] if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (sample, labels, families[family])
    return found[0]


def make_share(user, item, network: str, status: str, key: str, **fields) -> Share:
    return Share.objects.create(user=user, item=item, network=network, text="t", final_text="t", status=status,
                                idempotency_key=key, **fields)


# --------------------------------------------------------------------------- access


def test_off_by_default_404(client):
    assert client.get("/metrics").status_code == 404


def test_without_the_token_or_with_a_wrong_one_403(client, metrics_on, admin_user):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 403
    client.force_login(admin_user)  # a signed-in administrator is no scraper
    assert client.get("/metrics").status_code == 403
    assert client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


def test_allowed_networks_alone_or_with_the_token(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "192.168.1.7"]
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.7").status_code == 200
    settings.METRICS_TOKEN = TOKEN  # both set: both needed
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40",
                      headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


# --------------------------------------------------------------------------- what it says


def test_shares_connections_digests_and_clicks_match_the_database(client, metrics_on, redis_url,
                                                                   django_assert_max_num_queries):
    ann, bob = UserFactory(), UserFactory()
    item = published_item()
    for i in range(3):
        make_share(ann if i else bob, item, "linkedin", "queued", f"q{i}")
    make_share(ann, item, "x", "posted", "p1", remote_id="1", posted_at=timezone.now())
    make_share(bob, item, "x", "posted", "p2", remote_id="2", posted_at=timezone.now())
    make_share(ann, item, "linkedin", "failed", "f1")
    now = timezone.now()
    SocialAccountFactory(user=ann, network="linkedin", expires_at=now + timedelta(days=3))  # must reconnect soon
    SocialAccountFactory(user=bob, network="linkedin", expires_at=now + timedelta(days=30))
    SocialAccountFactory(user=bob, network="x", expires_at=now + timedelta(hours=1), refresh_token="renews-itself")
    week = weekly_period(now)
    for user, status in ((ann, "sent"), (bob, "pending")):
        EmailDelivery.objects.create(user=user, kind=DeliveryKind.WEEKLY_DIGEST, period=week, status=status,
                                     claim_token="c", claimed_at=now)
    EmailDelivery.objects.create(user=ann, kind=DeliveryKind.WEEKLY_DIGEST, period="2001-W01", status="sent",
                                 claim_token="c", claimed_at=now)  # another week: not this one's
    DailyTotals.objects.create(day=now.date(), network="linkedin", clicks=5, previews=2)
    DailyTotals.objects.create(day=now.date() - timedelta(days=1), network="linkedin", clicks=3, previews=1)

    with django_assert_max_num_queries(5):  # one grouped query per concern, whatever the row counts
        families = scrape(client)

    assert value(families, "chorus_shares", network="linkedin", status="queued") == 3
    assert value(families, "chorus_shares", network="linkedin", status="failed") == 1
    assert value(families, "chorus_shares", network="x", status="posted") == 2
    assert value(families, "chorus_shares", network="x", status="queued") == 0
    assert sum(s.value for s in families["chorus_shares"]) == Share.objects.count() == 6
    assert value(families, "chorus_connections_expiring_7d", network="linkedin") == 1
    assert value(families, "chorus_connections_expiring_7d", network="x") == 0
    assert value(families, "chorus_connections", network="linkedin", status="active") == 2
    assert value(families, "chorus_digest_deliveries", status="sent") == 1
    assert value(families, "chorus_digest_deliveries", status="pending") == 1
    assert value(families, "chorus_clicks", "chorus_clicks_total", network="linkedin") == 8
    assert value(families, "chorus_link_previews", "chorus_link_previews_total", network="linkedin") == 3
    assert value(families, "chorus_metrics_redis_up") == 1
    assert value(families, "chorus_circuit_breaker_state", network="x", state="closed") == 1
    # django-prometheus' request metrics are there too.
    assert "django_http_requests_before_middlewares" in families


def test_posting_latency_and_provider_errors_from_real_posts(client, metrics_on, redis_url, networks,
                                                              django_capture_on_commit_callbacks):
    from advocacy.services.sharing import ShareRequest, share_create

    ann = UserFactory()
    connect_account(ann, "linkedin", networks)
    connect_account(ann, "x", networks)
    item = published_item(texts=[("linkedin", "Worth a read"), ("x", "Worth a read")])
    with django_capture_on_commit_callbacks(execute=False):
        li, x = sorted(share_create(user=ann, item=item, request=ShareRequest(networks=["linkedin", "x"],
                                                                               idempotency_key="k")),
                       key=lambda s: s.network)
    networks.faults.next("error", network="x", group="post", status=503)
    networks.faults.next("rate_limit", network="x", group="post")
    with django_capture_on_commit_callbacks(execute=True):  # a worker runs in autocommit
        assert share_post(share_id=li.pk).status == "posted"
    assert share_post(share_id=x.pk).status == "queued"  # the 503: retried later
    Share.objects.filter(pk=x.pk).update(next_attempt_at=None)
    assert share_post(share_id=x.pk).status == "queued"  # the 429

    families = scrape(client)
    assert value(families, "chorus_provider_errors", "chorus_provider_errors_total", network="x",
                 kind="transient") == 1
    assert value(families, "chorus_provider_errors", "chorus_provider_errors_total", network="x",
                 kind="rate_limited") == 1
    assert not [s for s in families["chorus_provider_errors"] if s.labels["network"] == "linkedin"]
    posted = Share.objects.get(pk=li.pk)
    latency = (posted.posted_at - posted.created_at).total_seconds()
    assert value(families, "chorus_share_posting_latency_seconds", "chorus_share_posting_latency_seconds_count",
                 network="linkedin") == 1
    assert value(families, "chorus_share_posting_latency_seconds", "chorus_share_posting_latency_seconds_sum",
                 network="linkedin") == pytest.approx(latency, abs=0.01)
    buckets = {s.labels["le"]: s.value for s in families["chorus_share_posting_latency_seconds"]
               if s.name.endswith("_bucket")}
    assert buckets["+Inf"] == 1 and buckets["1.0"] == (1 if latency <= 1 else 0)
    assert "x" not in {s.labels.get("network") for s in families["chorus_share_posting_latency_seconds"]}


def test_queue_length_counts_messages_waiting_in_the_broker(client, metrics_on, redis_url, settings):
    settings.CELERY_BROKER_URL = redis_url
    with celery_broker(redis_url):
        from core.queueing import send

        send("advocacy.share_post", 1)
        send("advocacy.share_post", 2)
        send("advocacy.heartbeat")
    families = scrape(client)
    assert value(families, "chorus_queue_length", queue="shares") == 2
    assert value(families, "chorus_queue_length", queue="default") == 1
    assert value(families, "chorus_queue_length", queue="notify") == 0
    assert value(families, "chorus_queue_reserved") == 0


def test_an_open_breaker_shows(client, metrics_on, redis_url, settings):
    for _ in range(settings.SHARE_BREAKER_THRESHOLD):
        breaker_failure("x")
    families = scrape(client)
    assert value(families, "chorus_circuit_breaker_state", network="x", state="open") == 1
    assert value(families, "chorus_circuit_breaker_state", network="x", state="closed") == 0
    assert value(families, "chorus_circuit_breaker_failures", network="x") == settings.SHARE_BREAKER_THRESHOLD
    assert value(families, "chorus_circuit_breaker_state", network="linkedin", state="closed") == 1


def test_with_redis_down_the_database_numbers_still_come_quickly(client, metrics_on, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    make_share(UserFactory(), published_item(), "x", "queued", "k")
    assert client.get("/metrics").status_code == 403  # warm up (URLconf imports) outside the timing
    started = time.monotonic()
    families = scrape(client)
    assert time.monotonic() - started < 2.5
    assert value(families, "chorus_metrics_redis_up") == 0
    assert value(families, "chorus_shares", network="x", status="queued") == 1
    assert "chorus_queue_length" not in families and "chorus_circuit_breaker_state" not in families


def test_a_hung_redis_costs_a_scrape_one_short_timeout(client, metrics_on, settings):
    import socket

    assert client.get("/metrics").status_code == 403  # warm up (URLconf imports) outside the timing
    with socket.socket() as listener:  # accepts connections and never answers: a SIGSTOPped Redis
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        started = time.monotonic()
        families = scrape(client)
        elapsed = time.monotonic() - started
    assert elapsed < 2.5  # METRICS_REDIS_TIMEOUT is 0.25 s; the breakers are not asked after it
    assert value(families, "chorus_metrics_redis_up") == 0
    assert "chorus_circuit_breaker_state" not in families
