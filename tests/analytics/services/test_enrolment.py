"""Participation divides by the enrolment of its own period: history never drifts."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from analytics.models import EnrolmentSnapshot
from analytics.periods import DateRange
from analytics.selectors.dashboard import Filters, kpis
from analytics.services.enrolment import enrolment_snapshot
from analytics.services.rollups import rollup_run
from tests.analytics.conftest import posted_share
from tests.factories import SocialAccountFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def participation(day: date, **filters):
    k = kpis(Filters(period=DateRange(day, day), **filters))
    return k.active_advocates, k.enrolled, k.enrolled_source


def test_participation_history_stays_fixed_after_new_enrolments(no_redis):
    team = TeamFactory(name="Sales")
    with freeze_time("2026-03-02 12:00:00"):
        people = [UserFactory(team=team) for _ in range(4)]
        posted_share(user=people[0], posted_at=datetime(2026, 3, 2, 11, tzinfo=UTC))
        rollup_run()
        enrolment_snapshot()
    with freeze_time("2026-03-09 10:00:00"):
        assert participation(DAY) == (1, 4, "snapshot")
        assert participation(DAY, team_id=team.pk) == (1, 4, "snapshot")
        for _ in range(4):
            UserFactory(team=team)  # four more enrol later ...
        people[1].advocate_opted_in_at = None  # ... and one leaves
        people[1].save()
        assert participation(DAY) == (1, 4, "snapshot")
        assert kpis(Filters(period=DateRange(DAY, DAY))).participation == 25.0
        # Today, with no snapshot yet, the count is live.
        today = date(2026, 3, 9)
        assert participation(today)[1:] == (7, "live")


def test_the_snapshot_counts_invited_enrolled_and_connected_per_team(no_redis):
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    connected = UserFactory(team=red)
    SocialAccountFactory(user=connected)
    UserFactory(team=red)
    UserFactory(team=blue, advocate_opted_in_at=None, invited_at=datetime(2026, 1, 1, tzinfo=UTC))
    UserFactory(team=blue, advocate_opted_in_at=None)
    assert enrolment_snapshot() == 3
    rows = {s.team_id: (s.employees, s.invited, s.enrolled, s.connected) for s in EnrolmentSnapshot.objects.all()}
    assert rows == {None: (4, 3, 2, 1), red.pk: (2, 2, 2, 1), blue.pk: (2, 1, 0, 0)}
    assert enrolment_snapshot() == 3  # rerun: the same rows, not duplicates
    assert EnrolmentSnapshot.objects.count() == 3


def test_days_before_the_first_snapshot_are_estimated_from_opt_in_dates(no_redis):
    with freeze_time("2026-03-01 09:00:00"):
        UserFactory()
    with freeze_time("2026-03-05 09:00:00"):
        UserFactory()
    with freeze_time("2026-03-10 09:00:00"):
        assert participation(date(2026, 3, 2)) == (0, 1, "estimate")
