"""The unfiltered page's quick periods from a snapshot (``analytics.pages``): the same numbers
as the live count for every period, never a snapshot of another day, recounted by beat only
when something changed, and every filtered view counted live."""

import importlib
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from analytics import pages
from analytics.models import Click, PanelSnapshot
from analytics.periods import PRESETS, preset_period, utc_day
from analytics.selectors.dashboard import Filters
from analytics.services.enrolment import enrolment_snapshot
from analytics.services.rollups import rollup_run, rollup_settled, share_days_rebuild_all
from tests.analytics.conftest import posted_share
from tests.factories import CampaignFactory, TeamFactory, UserFactory, advocate, curator, published_item

pytestmark = pytest.mark.django_db
URL = "/analytics/"
# Days ago of each share: every quick period, and the period before each, holds some.
AGES = (0, 1, 3, 9, 20, 33, 45, 70, 95, 130, 200, 290, 340, 370, 420, 600)


def share_with_clicks(*, user, days_ago: int, clicks: int, network: str = "linkedin", campaign=None):
    posted_at = timezone.now() - timedelta(days=days_ago, minutes=30)
    share = posted_share(user=user, network=network, posted_at=posted_at,
                         item=published_item(campaign=campaign, published_at=posted_at))
    Click.objects.bulk_create([
        Click(event_id=uuid.uuid4(), share=share, occurred_at=posted_at + timedelta(minutes=j),
              day=utc_day(posted_at + timedelta(minutes=j)), visitor_key=f"v{j % 2}")
        for j in range(clicks)
    ])
    return share


@pytest.fixture
def programme(no_redis):
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    launch = CampaignFactory(name="Launch")
    people = [UserFactory(full_name=f"Person {i}", team=(red, blue, None)[i % 3],
                          leaderboard_opt_out=(i == 4)) for i in range(6)]
    for n, days_ago in enumerate(AGES):
        share_with_clicks(user=people[n % 6], days_ago=days_ago, clicks=1 + n % 4,
                          network="x" if n % 2 else "linkedin", campaign=launch if n % 3 == 0 else None)
    share_days_rebuild_all()
    enrolment_snapshot()
    return {"red": red, "blue": blue, "launch": launch, "people": people}


@pytest.fixture
def staff_client(client):
    client.force_login(curator())
    return client


def figures(source) -> tuple:
    """Everything the page shows for the period (from a PageData or a response context)."""
    get = (lambda name: getattr(source, name)) if isinstance(source, pages.PageData) else source.__getitem__
    return (asdict(get("kpis")), asdict(get("previous")), [asdict(p) for p in get("series")],
            [dict(r) for r in get("top_content")], [dict(r) for r in get("top_advocates")],
            get("hidden_advocates"), [asdict(t) for t in get("teams")])


def live(period) -> tuple:
    return figures(pages.page_count(Filters(period)))


def test_every_quick_period_from_the_snapshot_equals_the_live_count(programme, staff_client):
    result = pages.pages_refresh()
    assert sorted(result.counted) == sorted(PRESETS) and not result.unchanged
    today = utc_day(timezone.now())
    for key in PRESETS:
        context = staff_client.get(URL, {"period": key}).context
        assert context["page_as_of"] is not None, key  # read from the snapshot
        assert figures(context) == live(preset_period(key, today)), key
    year = staff_client.get(URL, {"period": "365d"}).context
    assert year["kpis"].shares == sum(1 for a in AGES if a < 365) and year["kpis"].clicks > 0
    assert year["kpis"].emv.total > 0 and year["previous"].shares == sum(1 for a in AGES if 365 <= a < 730)
    assert [t.name for t in year["teams"]][:2] and year["hidden_advocates"] == 1
    default = staff_client.get(URL).context  # the default period is "Last 28 days"
    assert default["page_as_of"] is not None and figures(default) == live(preset_period("28d", today))


def test_the_page_says_when_its_figures_were_counted(programme, staff_client):
    first = staff_client.get(URL)
    assert first.context["page_as_of"] is None and b"data-page-as-of" not in first.content  # counted now
    second = staff_client.get(URL)
    assert second.context["page_as_of"] is not None and b"data-page-as-of" in second.content
    assert figures(second.context) == figures(first.context)  # stored by the first view, no beat needed


def test_a_snapshot_of_yesterday_is_never_shown_today(programme, staff_client, settings):
    settings.ANALYTICS_PANELS_MAX_AGE = 3600
    today = utc_day(timezone.now())
    if (today + timedelta(days=1)).month != today.month:  # two days of one month: "last month" is the same days
        today -= timedelta(days=1)
    with freeze_time(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23, minutes=58)):
        pages.pages_refresh()
        assert staff_client.get(URL).context["page_as_of"] is not None
        assert staff_client.get(URL, {"period": "last_month"}).context["page_as_of"] is not None
    tomorrow = today + timedelta(days=1)
    with freeze_time(datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=2)):
        context = staff_client.get(URL).context  # four minutes later: young enough, but of yesterday
        assert context["page_as_of"] is None and context["f"].period == preset_period("28d", tomorrow)
        assert figures(context) == live(preset_period("28d", tomorrow))
        assert PanelSnapshot.objects.get(key="period:28d").data["day"] == tomorrow.isoformat()  # stored for today
        assert staff_client.get(URL).context["page_as_of"] is not None
        # Last month is the same days today, but that row was counted for yesterday.
        assert preset_period("last_month", tomorrow) == preset_period("last_month", today)
        assert staff_client.get(URL, {"period": "last_month"}).context["page_as_of"] is None
        # Yesterday's 28 days asked by dates are no quick period today: live.
        old = preset_period("28d", today)
        assert staff_client.get(URL, {"start": old.start, "end": old.end}).context["page_as_of"] is None


def test_a_count_that_runs_past_midnight_is_not_stored(programme, monkeypatch):
    count = pages.page_count
    today = utc_day(timezone.now())
    with freeze_time(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23, minutes=59,
                                                                                          seconds=59)) as clock:
        def slow(*args, **kwargs):
            page = count(*args, **kwargs)
            clock.tick(timedelta(seconds=5))
            return page
        monkeypatch.setattr(pages, "page_count", slow)
        result = pages.pages_refresh()
    assert result.counted == [] and not PanelSnapshot.objects.filter(key__startswith="period:").exists()


def test_filtered_views_count_live(programme, staff_client):
    pages.pages_refresh()
    unfiltered = staff_client.get(URL).context["kpis"].shares
    share_with_clicks(user=programme["people"][0], days_ago=0, clicks=2, campaign=programme["launch"])
    rollup_run()
    assert staff_client.get(URL).context["kpis"].shares == unfiltered  # the snapshot: minutes old
    today = utc_day(timezone.now())
    for params in ({"team": programme["red"].pk}, {"network": "linkedin"}, {"campaign": programme["launch"].pk},
                   {"start": (today - timedelta(days=5)).isoformat(), "end": today.isoformat()}):
        context = staff_client.get(URL, params).context
        assert context["page_as_of"] is None, params
        assert figures(context) == figures(pages.page_count(context["f"])), params
    team = staff_client.get(URL, {"team": programme["red"].pk}).context
    assert [t.name for t in team["teams"]] == ["Red"]  # never the company-wide snapshot's teams
    assert not PanelSnapshot.objects.filter(key__contains=str(programme["red"].pk)).exists()
    pages.pages_refresh()
    assert staff_client.get(URL).context["kpis"].shares == unfiltered + 1


def test_only_holders_of_the_page_permission_see_it(programme, client):
    pages.pages_refresh()
    client.force_login(advocate(team=programme["red"]))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"team": programme["red"].pk}).status_code == 403


def test_beat_recounts_only_what_changed(programme, settings):
    settings.ANALYTICS_PAGE_SNAPSHOT_PERIODS = ["28d", "365d"]
    start = timezone.now().replace(hour=1, minute=0)
    with freeze_time(start):
        assert sorted(pages.pages_refresh().counted) == ["28d", "365d"]
    with freeze_time(start + timedelta(minutes=4)), CaptureQueriesContext(connection) as queries:
        again = pages.pages_refresh()
    assert again.counted == [] and sorted(again.unchanged) == ["28d", "365d"] and len(queries) <= 12
    assert PanelSnapshot.objects.get(key="period:28d").computed_at == start + timedelta(minutes=4)  # re-dated
    with freeze_time(start + timedelta(minutes=8)):
        share_with_clicks(user=programme["people"][1], days_ago=0, clicks=1)
        rollup_run()
        assert sorted(pages.pages_refresh().counted) == ["28d", "365d"]
        User.objects.filter(pk=programme["people"][1].pk).update(full_name="Renamed")  # invisible to the check
        assert pages.pages_refresh().counted == []
    with freeze_time(start + timedelta(minutes=8, seconds=settings.ANALYTICS_PAGE_SNAPSHOT_RECOUNT_SECONDS)):
        assert sorted(pages.pages_refresh().counted) == ["28d", "365d"]  # the forced recount
        names = [r["user__full_name"] for r in PanelSnapshot.objects.get(key="period:28d").data["top_advocates"]]
        assert "Renamed" in names


def test_a_default_period_that_is_no_quick_period_is_kept_too(programme, staff_client, settings):
    settings.ANALYTICS_DEFAULT_DAYS = 30
    settings.ANALYTICS_PAGE_SNAPSHOT_PERIODS = ["365d"]
    assert sorted(pages.pages_refresh().counted) == ["365d", "default"]
    context = staff_client.get(URL).context
    assert context["page_as_of"] is not None and context["f"].period.days == 30
    assert figures(context) == live(context["f"].period)
    assert staff_client.get(URL, {"period": "7d"}).context["page_as_of"] is None  # not kept: live


def test_a_zero_max_age_counts_every_view_live(programme, staff_client, settings):
    pages.pages_refresh()
    settings.ANALYTICS_PANELS_MAX_AGE = 0
    assert staff_client.get(URL).context["page_as_of"] is None


def test_the_page_from_the_snapshot_reads_few_rows(programme, staff_client):
    pages.pages_refresh()
    staff_client.get(URL)
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get(URL, {"period": "365d"}).context["page_as_of"] is not None
    for n in range(10):
        share_with_clicks(user=UserFactory(team=TeamFactory()), days_ago=n, clicks=1)
    share_days_rebuild_all()
    pages.pages_refresh()
    with CaptureQueriesContext(connection) as large:
        assert staff_client.get(URL, {"period": "365d"}).context["page_as_of"] is not None
    assert len(large) == len(small) <= 20


def test_an_unknown_period_in_the_setting_stops_the_boot(monkeypatch):
    import chorus.settings.analytics as module

    monkeypatch.setenv("ANALYTICS_PAGE_SNAPSHOT_PERIODS", "28d,fortnight")
    with pytest.raises(ImproperlyConfigured, match="unknown period fortnight"):
        importlib.reload(module)
    monkeypatch.delenv("ANALYTICS_PAGE_SNAPSHOT_PERIODS")
    importlib.reload(module)


@pytest.mark.redis
def test_beat_waits_for_a_running_sweep(redis_url):
    from core.redis import get_redis

    lock = get_redis().lock("lock:analytics:rollup", timeout=60)
    assert lock.acquire(blocking=False)  # a sweep is running
    assert rollup_settled(timeout=0.3) is False
    lock.release()
    assert rollup_settled(timeout=0.3) is True
    assert get_redis().get("lock:analytics:rollup") is None  # given back: the next sweep is not held up
