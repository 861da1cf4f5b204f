"""The tracked redirect answered from memory (``click_follow`` + ``advocacy.links``): a code
followed before costs no query and one Redis round trip; a changed destination is followed
at once, also by a process that still remembers the old one; with Redis unreachable the
database answers and nothing is lost.

"Another process" is this one with its memory put back as it was before the change: the
entries a process that did not make the change still holds."""

import signal
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

import core.redis
from advocacy import links
from advocacy.links import GENERATION_KEY
from analytics.models import Click
from analytics.services import clicks as clicks_service
from analytics.services.clicks import BUFFER_KEY, clicks_flush
from content.models import ContentItem
from content.services.items import content_item_save
from tests.analytics.conftest import posted_share
from tests.conftest import RedisServer
from tests.factories import CampaignFactory, approver, published_item

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


@pytest.fixture
def buffer(settings, redis_url):
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    core.redis.web_redis_reset()
    yield redis.Redis.from_url(redis_url)
    core.redis.web_redis_reset()


def follow(client, share_or_code, *, agent=CHROME, method="get", expect=302):
    code = share_or_code if isinstance(share_or_code, str) else share_or_code.link_code
    response = getattr(client, method)(f"/r/{code}", HTTP_USER_AGENT=agent, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == expect, response.status_code
    return response


def destination(response) -> tuple[str, dict]:
    parts = urlsplit(response["Location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


def other_process_memory():
    """What a process that did not make the change still remembers."""
    return dict(links._cache)


def test_a_code_followed_before_reads_no_database_and_still_records(client, buffer, django_assert_num_queries):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)  # first time: the database answers (and today's salt is read)
    with django_assert_num_queries(0):
        response = follow(client, share)
        follow(client, share, method="head")  # a preview, recorded as one
    assert destination(response)[0] == "https://example.com/a"
    assert buffer.llen(BUFFER_KEY) == 3
    assert clicks_flush() == 3
    kinds = sorted(Click.objects.filter(share=share).values_list("kind", flat=True))
    assert len(kinds) == 3 and len(set(kinds)) == 2  # two clicks, one HEAD preview


def test_an_approvers_new_link_is_followed_at_once_by_every_process(
        client, buffer, django_capture_on_commit_callbacks):
    item = published_item(url="https://example.com/old")
    share = posted_share(item=item)
    assert destination(follow(client, share))[0] == "https://example.com/old"
    assert destination(follow(client, share))[0] == "https://example.com/old"  # from memory
    elsewhere = other_process_memory()
    assert share.link_code in elsewhere

    item.url = "https://example.com/new"
    with django_capture_on_commit_callbacks(execute=True):
        content_item_save(item=item, user=approver())
    links._cache.update(elsewhere)  # the old destination is still in that process's memory
    assert destination(follow(client, share))[0] == "https://example.com/new"
    assert destination(follow(client, share))[0] == "https://example.com/new"
    assert buffer.llen(BUFFER_KEY) == 4  # no click lost on the way


def test_a_campaigns_new_utm_tag_is_followed_at_once(client, buffer, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(slug="spring", utm_campaign="spring")
    share = posted_share(item=published_item(url="https://example.com/a", campaign=campaign))
    follow(client, share)
    elsewhere = other_process_memory()
    campaign.utm_campaign = "spring-2027"
    with django_capture_on_commit_callbacks(execute=True):
        campaign.save()
    links._cache.update(elsewhere)
    assert destination(follow(client, share))[1]["utm_campaign"] == ["spring-2027"]


def test_a_shares_new_item_is_followed_at_once(client, buffer, django_capture_on_commit_callbacks):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)
    elsewhere = other_process_memory()
    share.item = published_item(url="https://example.com/b")
    with django_capture_on_commit_callbacks(execute=True):
        share.save(update_fields=["item"])
    links._cache.update(elsewhere)
    assert destination(follow(client, share))[0] == "https://example.com/b"


def test_a_deleted_item_is_404_at_once(client, buffer, django_capture_on_commit_callbacks):
    item = published_item(url="https://example.com/a")
    share = posted_share(item=item)
    code = share.link_code
    follow(client, share)
    elsewhere = other_process_memory()
    with django_capture_on_commit_callbacks(execute=True):
        item.delete()
    links._cache.update(elsewhere)
    follow(client, code, expect=404)
    assert code not in links._cache


def test_the_posting_pipelines_saves_keep_the_memory(client, buffer, django_capture_on_commit_callbacks,
                                                     django_assert_num_queries):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        share.save(update_fields=["status", "posted_at"])
    assert callbacks == []  # nothing announced
    with django_assert_num_queries(0):
        follow(client, share)


def test_a_redis_restarted_empty_means_no_entry_is_trusted(client, buffer):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)
    # Changed behind the signals' back while Redis lost everything (its generation with it).
    ContentItem.objects.filter(pk=share.item_id).update(url="https://example.com/moved")
    buffer.flushall()
    assert destination(follow(client, share))[0] == "https://example.com/moved"
    assert buffer.get(GENERATION_KEY)  # a new generation, for the entries read from now on


def test_an_entry_lives_at_most_link_cache_seconds(client, buffer, settings, monkeypatch):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)
    # A change nobody announced (a lost announcement: Redis was down at that moment).
    ContentItem.objects.filter(pk=share.item_id).update(url="https://example.com/moved")
    assert destination(follow(client, share))[0] == "https://example.com/a"
    now = links.time.monotonic()
    monkeypatch.setattr(links.time, "monotonic", lambda: now + settings.LINK_CACHE_SECONDS + 1)
    assert destination(follow(client, share))[0] == "https://example.com/moved"


def test_memory_is_bounded(client, buffer, settings):
    settings.LINK_CACHE_SIZE = 2
    shares = [posted_share(item=published_item(url=f"https://example.com/{n}")) for n in range(3)]
    for share in shares:
        follow(client, share)
    assert list(links._cache) == [shares[1].link_code, shares[2].link_code]


def test_unknown_codes_are_404_and_never_remembered(client, buffer):
    follow(client, "nosuchcode", expect=404)
    follow(client, "nosuchcode", expect=404)
    assert links._cache == {} and buffer.llen(BUFFER_KEY) == 0


def test_a_failed_announcement_is_logged(client, settings, django_capture_on_commit_callbacks, caplog):
    from tests.conftest import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    core.redis.web_redis_reset()
    item = published_item(url="https://example.com/a")
    item.url = "https://example.com/b"
    with django_capture_on_commit_callbacks(execute=True):
        item.save()
    assert "could not announce a changed destination" in caplog.text
    core.redis.web_redis_reset()


@pytest.fixture
def own_redis(settings):
    server = RedisServer()
    server.start()
    settings.REDIS_URL = server.url
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    core.redis.web_redis_reset()
    clicks_service._redis_down_until = 0.0
    yield server
    server.proc.send_signal(signal.SIGCONT)
    core.redis.web_redis_reset()
    clicks_service._redis_down_until = 0.0
    server.stop()


def test_with_redis_hung_memory_is_not_trusted_and_no_click_is_lost(client, own_redis, caplog):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)
    follow(client, share)
    own_redis.proc.send_signal(signal.SIGSTOP)
    with CaptureQueriesContext(connection) as first:
        assert destination(follow(client, share))[0] == "https://example.com/a"
    assert any("FROM \"advocacy_share\"" in q["sql"] for q in first.captured_queries)  # the database answered
    assert caplog.text.count("click buffer unavailable") == 1
    follow(client, share)  # the circuit is open: Redis not asked again
    assert caplog.text.count("click buffer unavailable") == 1
    assert Click.objects.filter(share=share).count() == 2  # straight into the database
    own_redis.proc.send_signal(signal.SIGCONT)
    # The timed-out RPUSH may still reach Redis once it wakes: the flush then meets a click
    # already inserted (same event id) and keeps one. Four clicks, four rows.
    clicks_flush()
    assert Click.objects.filter(share=share).count() == 4


# --- clicks shipped in the background (production's default; the tests' settings send each
# click within its request) -------------------------------------------------------------------


@pytest.fixture
def shipped(settings, buffer):
    settings.ANALYTICS_CLICK_SHIP_SECONDS = 0.05
    clicks_service._shipper.reset()
    yield buffer
    clicks_service._shipper.reset()


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def test_a_shipped_click_waits_on_neither_redis_nor_the_database(client, shipped, monkeypatch,
                                                                  django_assert_num_queries):
    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)  # the first: database, and the generation read with its RPUSH
    assert shipped.llen(BUFFER_KEY) == 1
    asked = []
    real = clicks_service._fast_client
    monkeypatch.setattr(clicks_service, "_fast_client",
                        lambda *a: asked.append(threading.current_thread().name) or real(*a))
    with django_assert_num_queries(0):
        for _ in range(5):
            assert destination(follow(client, share))[0] == "https://example.com/a"
    wait_for(lambda: shipped.llen(BUFFER_KEY) == 6)  # sent by the shipper, in the background
    assert asked and set(asked) == {"chorus-click-shipper"}
    assert clicks_flush() == 6 and Click.objects.filter(share=share).count() == 6


def test_with_shipping_a_change_is_followed_at_once_on_this_machine(
        client, shipped, django_capture_on_commit_callbacks):
    item = published_item(url="https://example.com/old")
    share = posted_share(item=item)
    follow(client, share)
    elsewhere, read = other_process_memory(), clicks_service._shipper._seen
    item.url = "https://example.com/new"
    with django_capture_on_commit_callbacks(execute=True):
        content_item_save(item=item, user=approver())
    # That process read the generation a moment ago; the machine's stamp tells it to read again.
    links._cache.update(elsewhere)
    clicks_service._shipper._seen = read
    assert destination(follow(client, share))[0] == "https://example.com/new"


def test_with_shipping_another_machine_follows_a_change_within_the_check_interval(
        client, shipped, settings, monkeypatch, django_capture_on_commit_callbacks):
    item = published_item(url="https://example.com/old")
    share = posted_share(item=item)
    follow(client, share)
    elsewhere, read = other_process_memory(), clicks_service._shipper._seen
    stamp_there = links.links_stamp()
    item.url = "https://example.com/new"
    with django_capture_on_commit_callbacks(execute=True):
        content_item_save(item=item, user=approver())
    links._cache.update(elsewhere)
    clicks_service._shipper._seen = read
    monkeypatch.setattr(clicks_service, "links_stamp", lambda: stamp_there)  # its own machine's stamp
    now = time.monotonic()
    monkeypatch.setattr(clicks_service.time, "monotonic", lambda: now)
    assert read[1] >= now - settings.LINK_CACHE_CHECK_SECONDS  # still trusted: the old destination
    assert destination(follow(client, share))[0] == "https://example.com/old"
    monkeypatch.setattr(clicks_service.time, "monotonic", lambda: read[1] + settings.LINK_CACHE_CHECK_SECONDS + 0.01)
    assert destination(follow(client, share))[0] == "https://example.com/new"


def test_pending_clicks_go_straight_to_the_database_when_redis_is_gone(client, shipped, settings, caplog):
    from tests.conftest import free_port

    share = posted_share(item=published_item(url="https://example.com/a"))
    follow(client, share)
    with clicks_service._shipper._ship_lock:  # the background shipper held back
        follow(client, share)  # pending in this process
        settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # and Redis gone
        assert clicks_service._round_trip(clicks_service._shipper.take()) is None  # what a shipment does
    assert Click.objects.filter(share=share).count() == 1  # inserted directly, not lost
    assert shipped.llen(BUFFER_KEY) == 1  # the first click
    assert "click buffer unavailable" in caplog.text
    # Nothing is trusted now: the next click asks the database (and Redis is skipped).
    follow(client, share)
    assert Click.objects.filter(share=share).count() == 2
    core.redis.web_redis_reset()
