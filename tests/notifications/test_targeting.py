"""Fan-out's "who does this item reach" agrees with the feed's "what does this user see"."""

import itertools

import pytest

from accounts.models import User
from content.selectors import content_visible_to
from notifications.targeting import ItemTargeting, fanout_recipient_ids, targeted_users
from tests.factories import TeamFactory, TopicFactory
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db


def test_inverse_targeting_agrees_with_targeting_q_and_the_python_rule(sales, engineering):
    support = TeamFactory(name="Support")
    required = TopicFactory(name="All hands", required=True)
    optional = TopicFactory(name="Cloud")
    people = [
        person(team=team, location=loc, language=lang)
        for team, loc, lang in itertools.product(
            [sales, engineering, None], ["London", " berlin ", ""], ["en", "DE", ""]
        )
    ]
    items = [
        item_for(everyone=True, title="everyone"),
        item_for(title="no dimension set"),
        item_for(teams=[sales], title="sales"),
        item_for(teams=[sales, engineering], title="sales or eng"),
        item_for(teams=[support], title="support only"),
        item_for(locations=["Berlin"], title="berlin"),
        item_for(teams=[sales], locations=["london", "Berlin"], title="sales in london/berlin"),
        item_for(languages=["de"], title="german"),
        item_for(teams=[engineering], locations=["berlin"], languages=["de"], title="eng, berlin, de"),
        item_for(teams=[support], topics=[required], title="required topic beats targeting"),
        item_for(teams=[support], topics=[optional], title="optional topic does not"),
    ]
    for item in items:
        from_feed = {u.pk for u in people if content_visible_to(u).filter(pk=item.pk).exists()}
        from_query = set(targeted_users(item).values_list("pk", flat=True))
        targeting = ItemTargeting.load(item)
        from_python = {u.pk for u in User.objects.filter(pk__in=[p.pk for p in people]) if targeting.reaches(u)}
        assert from_query == from_feed == from_python, item.title


def test_only_enrolled_active_advocates_are_targeted(sales):
    item = item_for(everyone=True)
    ok = person(team=sales)
    person(team=sales, advocate_opted_in_at=None)
    person(team=sales, is_active=False)
    assert list(targeted_users(item).values_list("pk", flat=True)) == [ok.pk]


def test_fanout_recipients_are_the_instant_and_in_app_readers(sales):
    item = item_for(everyone=True)
    wanted = {person("instant").pk, person("in_app").pk}
    for pref in ("daily", "weekly", "none"):
        person(pref)
    assert set(fanout_recipient_ids(item)) == wanted
