"""Top content and top advocates: ranked from the rollups, named afterwards."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Click
from analytics.periods import DateRange, utc_day
from analytics.selectors import dashboard as board
from analytics.selectors.dashboard import Filters
from analytics.services.rollups import rollup_run
from tests.analytics.conftest import posted_share
from tests.factories import CampaignFactory, TeamFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


def clicks(share, n):
    now = timezone.now()
    Click.objects.bulk_create(
        Click(event_id=uuid.uuid4(), share=share, occurred_at=now, day=utc_day(now), visitor_key=f"v{i}")
        for i in range(n)
    )


@pytest.fixture
def scene(no_redis):
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    launch = CampaignFactory(name="Launch")
    big = published_item(title="Big story", campaign=launch)
    small = published_item(title="Small story")
    ann = UserFactory(full_name="Ann", team=red)
    bob = UserFactory(full_name="Bob", team=blue)
    shy = UserFactory(full_name="Shy", team=blue, leaderboard_opt_out=True)
    for user, item, n, network in ((ann, big, 5, "linkedin"), (bob, big, 4, "x"), (bob, small, 7, "linkedin"),
                                   (shy, small, 30, "x")):
        clicks(posted_share(user=user, item=item, network=network), n)
    rollup_run()
    today = utc_day(timezone.now())
    return {"period": DateRange(today - timedelta(days=6), today), "red": red, "blue": blue, "launch": launch}


def test_top_content_sums_every_share_of_an_item_and_names_it(scene):
    rows = board.top_content(Filters(scene["period"]))
    assert [(r["item__title"], r["shares"], r["clicks"], r["item__campaign__name"]) for r in rows] == [
        ("Small story", 2, 37, None), ("Big story", 2, 9, "Launch")]


def test_top_content_filters_by_team_network_and_campaign(scene):
    period = scene["period"]
    by_team = board.top_content(Filters(period, team_id=scene["red"].pk))
    assert [(r["item__title"], r["clicks"]) for r in by_team] == [("Big story", 5)]
    by_network = board.top_content(Filters(period, network="x"))
    assert [(r["item__title"], r["clicks"]) for r in by_network] == [("Small story", 30), ("Big story", 4)]
    by_campaign = board.top_content(Filters(period, campaign_id=scene["launch"].pk))
    assert [r["item__title"] for r in by_campaign] == ["Big story"]


def test_top_advocates_leave_out_people_who_opted_out(scene):
    rows = board.top_advocates(Filters(scene["period"]))
    assert [(r["user__full_name"], r["user__team__name"], r["shares"], r["clicks"]) for r in rows] == [
        ("Bob", "Blue", 2, 11), ("Ann", "Red", 1, 5)]
    assert board.hidden_advocates(Filters(scene["period"])) == 1


def test_the_full_list_streams_and_names_every_row_in_chunks(scene):
    rows = list(board._named(iter([{"ranked_id": u.pk} for u in UserFactory.create_batch(5)]), "user_id",
                             board._user_names, chunk=2))
    assert len(rows) == 5 and all(r["user__email"] for r in rows)
    everything = board.top_content(Filters(scene["period"]), limit=None)
    assert not isinstance(everything, list)  # a generator: the export streams it
    assert [r["item__title"] for r in everything] == ["Small story", "Big story"]
