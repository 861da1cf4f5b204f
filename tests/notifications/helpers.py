"""Builders for the notification tests."""

from datetime import timedelta

from django.utils import timezone

from tests.factories import UserFactory, published_item


def person(pref: str = "instant", **kwargs):
    kwargs.setdefault("full_name", f"{pref.title().replace('_', ' ')} Person")
    return UserFactory(notification_preference=pref, **kwargs)


def item_for(*, teams=(), locations=(), languages=(), everyone=False, topics=(), **kwargs):
    item = published_item(target_everyone=everyone, **kwargs)
    item.target_location_list = list(locations)
    item.target_language_list = list(languages)
    item.save()
    item.target_teams.set(teams)
    item.topics.set(topics)
    return item


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)
