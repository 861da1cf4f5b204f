"""Click tracking on /r/<code>: previews vs clicks, unique visitors, privacy, and the
Redis buffer with its fallback."""

import ipaddress
import time
from datetime import UTC, date, datetime

import pytest
import redis
from django.apps import apps
from django.db import connection
from freezegun import freeze_time

from analytics.models import Click, ClickKind, DailySalt, ShareDay
from analytics.services import clicks as clicks_service
from analytics.services.clicks import BUFFER_KEY, ClickRecord, clicks_flush, clicks_insert
from analytics.services.rollups import rollup_run
from analytics.services.visitors import day_salt, device_class, referrer_domain, salts_purge
from tests.analytics.conftest import posted_share

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")
BOTS = [
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "curl/8.4.0",
    "",  # every browser sends a user agent
]
PREFETCH = [{"HTTP_PURPOSE": "prefetch"}, {"HTTP_SEC_PURPOSE": "prefetch;prerender"}, {"HTTP_X_MOZ": "prefetch"}]


@pytest.fixture(params=["buffer", "direct"])
def mode(request, settings, redis_url):
    settings.ANALYTICS_CLICK_RECORDING = request.param
    return request.param


def visit(client, share, *, agent=CHROME, ip="203.0.113.7", method="get", **extra):
    response = getattr(client, method)(f"/r/{share.link_code}", HTTP_USER_AGENT=agent, REMOTE_ADDR=ip, **extra)
    assert response.status_code == 302
    return response


def totals(share) -> ShareDay:
    rollup_run()
    return ShareDay.objects.get(share=share)


def test_crawlers_bots_head_and_prefetch_are_previews_not_clicks(client, mode):
    share = posted_share()
    for agent in BOTS:
        visit(client, share, agent=agent)
    visit(client, share, method="head")
    for headers in PREFETCH:
        visit(client, share, **headers)
    row = totals(share)
    assert (row.clicks, row.unique_clicks) == (0, 0)
    assert row.previews == len(BOTS) + 1 + len(PREFETCH)
    kinds = set(Click.objects.values_list("kind", flat=True))
    assert kinds == {ClickKind.BOT, ClickKind.HEAD, ClickKind.PREFETCH}

    visit(client, share)
    assert totals(share).clicks == 1


def test_unique_clicks_count_visitors_total_counts_visits(client, mode):
    share = posted_share()
    for _ in range(3):
        visit(client, share)  # the same person three times
    visit(client, share, ip="198.51.100.4")  # someone else
    visit(client, share, agent=IPHONE)  # same address, another device
    row = totals(share)
    assert (row.clicks, row.unique_clicks) == (5, 3)


def test_behind_a_proxy_visitors_are_told_apart_by_the_address_it_saw(client, settings, redis_url):
    settings.ANALYTICS_CLICK_RECORDING = "direct"
    settings.CLIENT_IP_PROXY_COUNT = 1
    share = posted_share()
    proxy = "10.0.0.2"  # every request arrives from the load balancer
    visit(client, share, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    visit(client, share, ip=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")  # forged entry ignored
    visit(client, share, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.4")
    row = totals(share)
    assert (row.clicks, row.unique_clicks) == (3, 2)


def test_visitor_keys_change_every_utc_day(client, settings, redis_url):
    settings.ANALYTICS_CLICK_RECORDING = "direct"
    share = posted_share()
    with freeze_time("2026-03-02 23:59:00"):
        visit(client, share)
        visit(client, share)
    with freeze_time("2026-03-03 00:01:00"):
        visit(client, share)
    keys = dict(Click.objects.values_list("day", "visitor_key").distinct())
    assert set(keys) == {date(2026, 3, 2), date(2026, 3, 3)}
    assert keys[date(2026, 3, 2)] != keys[date(2026, 3, 3)]
    rollup_run()
    rows = ShareDay.objects.filter(share=share, clicks__gt=0).values_list("day", "clicks", "unique_clicks")
    assert sorted(rows) == [(date(2026, 3, 2), 2, 1), (date(2026, 3, 3), 1, 1)]


def _ip_forms(ip: str) -> set[str]:
    address = ipaddress.ip_address(ip)
    forms = {ip, str(address), address.exploded, address.packed.hex()}
    if address.version == 4:
        forms.add(str(int(address)))
    return {f.lower() for f in forms}


@pytest.mark.parametrize("ip", ["198.51.100.23", "2001:db8::4f:1234"])
def test_no_ip_address_is_stored_in_any_column_or_in_the_buffer(client, settings, redis_url, ip):
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    share = posted_share()
    visit(client, share, ip=ip, HTTP_REFERER="https://www.linkedin.com/feed/?trk=abc")
    visit(client, share, ip=ip, agent=BOTS[0])
    forms = _ip_forms(ip)

    buffered = redis.Redis.from_url(redis_url).lrange(BUFFER_KEY, 0, -1)
    assert len(buffered) == 2
    for raw in buffered:
        assert not any(f in raw.decode().lower() for f in forms)
        assert CHROME not in raw.decode()

    rollup_run()  # flush into the database and build the rollups
    assert Click.objects.count() == 2
    checked = 0
    with connection.cursor() as cursor:
        for model in apps.get_app_config("analytics").get_models():
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608  (our own table names)
            for row in cursor.fetchall():
                for value in row:
                    text = (value.hex() if isinstance(value, bytes | memoryview) else str(value)).lower()
                    assert not any(f in text for f in forms), f"{model.__name__} stores the IP address"
                    assert "chrome/124" not in text, f"{model.__name__} stores the user agent"
                    checked += 1
    assert checked > 20


def test_referrer_is_cut_to_its_domain_and_the_device_is_classified(client, mode):
    share = posted_share()
    visit(client, share, agent=IPHONE, HTTP_REFERER="https://lnkd.in/abc?secret=1")
    visit(client, share, agent=IPAD, HTTP_REFERER="https://t.co/xyz")
    visit(client, share)
    rollup_run()
    rows = set(Click.objects.values_list("device", "referrer_domain"))
    assert rows == {("mobile", "lnkd.in"), ("tablet", "t.co"), ("desktop", "")}


def test_device_and_referrer_helpers():
    assert device_class("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36") == "mobile"
    assert device_class("Mozilla/5.0 (Linux; Android 13; SM-X710) Safari/537.36") == "tablet"
    assert device_class("") == "unknown"
    assert referrer_domain("https://WWW.LinkedIn.com/feed/update/urn:li:share:1/") == "linkedin.com"
    assert referrer_domain("not a url") == ""


def test_a_flush_replayed_after_a_crash_inserts_nothing_twice(client, settings, redis_url):
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    share = posted_share()
    for i in range(5):
        visit(client, share, ip=f"203.0.113.{i}")
    raw = redis.Redis.from_url(redis_url).lrange(BUFFER_KEY, 0, -1)
    # A flusher inserted the batch and died before trimming the list...
    clicks_insert([ClickRecord.from_json(r) for r in raw])
    # ... the next flush reads the same records again.
    assert clicks_flush() == 5
    assert Click.objects.count() == 5
    assert redis.Redis.from_url(redis_url).llen(BUFFER_KEY) == 0
    assert clicks_flush() == 0


def test_clicks_on_a_share_deleted_before_the_flush_are_dropped(client, settings, redis_url):
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    share, other = posted_share(), posted_share()
    visit(client, share)
    visit(client, other)
    share.delete()
    assert clicks_flush() == 2
    assert list(Click.objects.values_list("share_id", flat=True)) == [other.pk]


def test_with_redis_down_the_redirect_inserts_directly_and_stops_asking_redis(client, settings, no_redis,
                                                                              monkeypatch):
    settings.ANALYTICS_CLICK_RECORDING = "buffer"
    share = posted_share()
    started = time.monotonic()
    visit(client, share)
    assert Click.objects.count() == 1  # recorded anyway, straight into the database
    calls = []
    monkeypatch.setattr(clicks_service, "_fast_client", lambda *a: calls.append(a) or pytest.fail("asked Redis"))
    visit(client, share, ip="198.51.100.9")
    assert Click.objects.count() == 2 and calls == []
    assert time.monotonic() - started < 2
    rollup_run()  # the sweep still works without Redis
    assert ShareDay.objects.get(share=share).clicks == 2


def test_a_recording_failure_never_breaks_the_redirect(client, settings, monkeypatch):
    settings.ANALYTICS_CLICK_RECORDING = "direct"
    share = posted_share()

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(Click.objects, "bulk_create", broken)
    visit(client, share)


def test_unknown_code_records_nothing(client, settings):
    settings.ANALYTICS_CLICK_RECORDING = "direct"
    assert client.get("/r/nope", HTTP_USER_AGENT=CHROME).status_code == 404
    assert Click.objects.count() == 0


def test_salts_are_random_per_day_and_purged_after_two_days():
    first, second = date(2026, 3, 1), date(2026, 3, 2)
    assert day_salt(first) != day_salt(second)
    assert len(day_salt(first)) == 32
    salts_purge(today=date(2026, 3, 3))  # keeps yesterday (clock skew), deletes older
    assert list(DailySalt.objects.values_list("day", flat=True)) == [second]


def test_click_times_are_utc_days():
    record = ClickRecord(event_id="a" * 32, share_id=1, at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC).timestamp(),
                         kind=1, visitor="", device="desktop", referrer="")
    assert record.to_click().day == date(2026, 3, 2)
