"""Digests arrive at each advocate's local hour, once per week, whatever beat does."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from freezegun import freeze_time

from notifications.models import EmailDelivery
from notifications.services.digests import digest_chunk
from notifications.services.schedule import due_user_ids
from notifications.tasks import digests_due_task
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _always_send(settings):
    settings.SKIP_EMPTY_DIGESTS = False  # these tests are about *when*; test_digests is about *what*
    reverse("home")  # load the URLconf (and its C extensions) before freezegun swaps datetime


def run_hourly(start: datetime, hours: int) -> dict[str, list[datetime]]:
    """Run the beat job on every hour from ``start``; when did each person get a digest?"""
    for hour in range(hours):
        with freeze_time(start + timedelta(hours=hour)):
            digests_due_task()
    received: dict[str, list[datetime]] = {}
    for d in EmailDelivery.objects.filter(status="sent").select_related("user").order_by("created_at"):
        received.setdefault(d.user.full_name, []).append(d.created_at.astimezone(UTC).replace(tzinfo=None))
    return received


def test_tokyo_and_new_york_get_theirs_at_local_nine_on_monday():
    person("weekly", full_name="Tokyo", timezone="Asia/Tokyo")
    person("instant", full_name="New York", timezone="America/New_York")
    person("daily", full_name="London", timezone="Europe/London", digest_weekday=2, digest_hour=17)
    received = run_hourly(datetime(2025, 11, 23, 0, tzinfo=UTC), 24 * 8 + 1)  # Sun 23 Nov → Mon 1 Dec
    assert received["Tokyo"] == [datetime(2025, 11, 24, 0), datetime(2025, 12, 1, 0)]  # 09:00 JST = 00:00 UTC
    assert received["New York"] == [datetime(2025, 11, 24, 14)]  # 09:00 EST = 14:00 UTC
    weekly_london = EmailDelivery.objects.filter(user__full_name="London", kind="weekly_digest")
    assert [d.created_at.replace(tzinfo=None) for d in weekly_london] == [datetime(2025, 11, 26, 17)]


def test_the_week_clocks_change_digests_follow_local_time():
    # US clocks go forward on Sunday 9 March 2025 (02:00 → 03:00).
    person("weekly", full_name="Monday NY", timezone="America/New_York")
    person("weekly", full_name="Sunday NY", timezone="America/New_York", digest_weekday=6, digest_hour=9)
    person("weekly", full_name="Skipped hour", timezone="America/New_York", digest_weekday=6, digest_hour=2)
    person("weekly", full_name="Berlin", timezone="Europe/Berlin")
    received = run_hourly(datetime(2025, 3, 2, 0, tzinfo=UTC), 24 * 9)  # Sun 2 → Mon 10 March
    assert received["Monday NY"] == [datetime(2025, 3, 3, 14), datetime(2025, 3, 10, 13)]  # EST, then EDT
    assert received["Sunday NY"] == [datetime(2025, 3, 2, 14), datetime(2025, 3, 9, 13)]
    # 02:00 never happened on 9 March: served at 03:00 EDT (07:00 UTC), still once.
    assert received["Skipped hour"] == [datetime(2025, 3, 2, 7), datetime(2025, 3, 9, 7)]
    assert received["Berlin"] == [datetime(2025, 3, 3, 8), datetime(2025, 3, 10, 8)]  # CET both weeks


def test_autumn_repeated_hour_sends_once():
    # Europe/London repeats 01:00-02:00 on Sunday 26 October 2025.
    person("weekly", full_name="Early bird", timezone="Europe/London", digest_weekday=6, digest_hour=1)
    received = run_hourly(datetime(2025, 10, 25, 20, tzinfo=UTC), 12)
    assert received["Early bird"] == [datetime(2025, 10, 26, 0)]  # 01:00 BST


def test_exactly_once_per_week_when_the_job_runs_twice_or_two_beats_race():
    ann = person("weekly", timezone="Europe/London")
    item_for(everyone=True)
    with freeze_time(datetime(2025, 11, 24, 9, 0, 5, tzinfo=UTC)):
        # Two beats compute who is due before either has claimed anything...
        first, second = due_user_ids(kind="weekly_digest", now=datetime.now(UTC)), due_user_ids(
            kind="weekly_digest", now=datetime.now(UTC)
        )
        assert first == second == {"2025-W48": [ann.pk]}
        # ...then both send (different task ids): the unique claim lets one through.
        digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=first["2025-W48"], claim_token="beat-1")
        digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=second["2025-W48"], claim_token="beat-2")
        digests_due_task()
        digests_due_task()
    with freeze_time(datetime(2025, 11, 24, 10, 0, tzinfo=UTC)):
        digests_due_task()  # still inside the catch-up window
    assert len(mail.outbox) == 1
    assert EmailDelivery.objects.filter(user=ann).count() == 1


def test_a_missed_hour_is_caught_up_but_not_a_missed_day(settings):
    settings.DIGEST_CATCH_UP_HOURS = 6
    person("weekly", full_name="Late", timezone="UTC")
    person("weekly", full_name="Too late", timezone="UTC", digest_hour=2)
    with freeze_time(datetime(2025, 11, 24, 11, 0, tzinfo=UTC)):  # beat was down at 09:00 and 10:00
        digests_due_task()
    assert [d.user.full_name for d in EmailDelivery.objects.select_related("user")] == ["Late"]


def test_who_gets_which_digest():
    for pref in ("instant", "in_app", "daily", "weekly", "none"):
        person(pref, full_name=pref, timezone="UTC", digest_hour=9)
    received = run_hourly(datetime(2025, 11, 23, 0, tzinfo=UTC), 24 * 3)  # Sun, Mon, Tue
    kinds = {(d.user.full_name, d.kind, d.period) for d in EmailDelivery.objects.select_related("user")}
    assert kinds == {
        ("instant", "weekly_digest", "2025-W48"),
        ("weekly", "weekly_digest", "2025-W48"),
        ("daily", "daily_digest", "2025-11-23"),
        ("daily", "weekly_digest", "2025-W48"),  # Monday: the weekly replaces the daily
        ("daily", "daily_digest", "2025-11-25"),
    }
    assert "in_app" not in received and "none" not in received
