"""What employees are told about their connections: words that fit the network and the
real expiry (LinkedIn's 60-day tokens are not X connections that cannot renew themselves)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from freezegun import freeze_time

from advocacy.services.tokens import account_mark_needs_reconnect, accounts_warn_expiring
from notifications.models import Notification
from tests.factories import SocialAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_linkedin_warnings_say_60_days_with_the_real_expiry_by_email():
    ann = UserFactory(timezone="America/New_York")
    with freeze_time(NOW):
        SocialAccountFactory(user=ann, network="linkedin", refresh_token="", connected_at=NOW - timedelta(days=53),
                             expires_at=NOW + timedelta(days=7))
        assert accounts_warn_expiring() == 1
    note = Notification.objects.get(user=ann)
    assert note.title == "Your LinkedIn connection expires in 7 days"
    assert note.body == ("LinkedIn connections last 60 days. It works until 11 Mar 2026, 08:00 (America/New_York). "
                         "Reconnect now (one click) so your shares keep working.")
    assert [m.subject for m in mail.outbox] == ["Your LinkedIn connection expires in 7 days"]


def test_a_short_lived_x_connection_found_by_the_sweep_is_warned_once_in_hours():
    ann = UserFactory()
    with freeze_time(NOW):
        SocialAccountFactory(user=ann, network="x", refresh_token="", scopes="tweet.read tweet.write users.read",
                             connected_at=NOW - timedelta(minutes=20), expires_at=NOW + timedelta(minutes=100))
        assert accounts_warn_expiring() == 1
        assert accounts_warn_expiring() == 0
    note = Notification.objects.get(user=ann)
    assert note.title == "Your X connection expires in 2 hours"  # 1 h 40 min, rounded
    assert note.body.startswith("Your X connection can't renew itself because posting access wasn't granted to "
                                "stay signed in. It works until 4 Mar 2026, 13:40 (UTC)")
    assert "60 days" not in note.body and "day" not in note.title
    assert mail.outbox == []


def test_a_linkedin_connection_that_ran_out_is_told_so_by_email():
    account = SocialAccountFactory(network="linkedin", refresh_token="", connected_at=NOW - timedelta(days=61),
                                   expires_at=NOW - timedelta(minutes=5))
    with freeze_time(NOW):
        accounts_warn_expiring()
    note = Notification.objects.get(user=account.user, kind="reconnect")
    assert note.body == ("Your LinkedIn connection expired. LinkedIn connections last 60 days. "
                         "Reconnect it in one click to keep sharing.")
    assert [m.subject for m in mail.outbox] == ["Reconnect your LinkedIn account"]


def test_a_refused_connection_keeps_the_providers_reason():
    account = SocialAccountFactory(network="x", scopes="tweet.read tweet.write users.read offline.access",
                                   refresh_token="x-refresh")
    account_mark_needs_reconnect(account=account, reason="Your X connection is no longer valid.")
    note = Notification.objects.get(user=account.user, kind="reconnect")
    assert note.body == ("X no longer accepts Chorus's connection: Your X connection is no longer valid. "
                         "Reconnect it in one click to keep sharing.")
