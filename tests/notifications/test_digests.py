"""What goes in a digest, what is skipped, and what happens when sending fails."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share
from analytics.impact import Impact
from analytics.services.rollups import rollup_run
from notifications.models import EmailDelivery, Notification
from notifications.services.deliveries import deliveries_retry_due, deliveries_send
from notifications.services.digests import DigestBuilder, digest_chunk
from tests.factories import CampaignFactory, ContentItemFactory, TeamFactory
from tests.notifications.helpers import days_ago, item_for, person

pytestmark = pytest.mark.django_db


def share(user, item, status="posted"):
    return Share.objects.create(
        user=user, item=item, network="linkedin", text="t", final_text="t", status=status,
        idempotency_key=uuid.uuid4().hex, posted_at=timezone.now() if status == "posted" else None,
    )


def digest_titles(user, kind="weekly_digest") -> list[str]:
    builder = DigestBuilder(kind=kind, users=[User.objects.get(pk=user.pk)], as_of=timezone.now())
    return [entry.item.title for entry in builder.build(User.objects.get(pk=user.pk)).items]


def test_digest_picks_unshared_targeted_unexpired_items_in_rank_order(settings, sales, engineering):
    settings.DIGEST_ITEMS = 10
    ann = person("weekly", team=sales)
    colleagues = [person("weekly", team=sales) for _ in range(3)]
    big_campaign = CampaignFactory(priority=5)
    item_for(everyone=True, title="campaign priority first", campaign=big_campaign, published_at=days_ago(20))
    item_for(teams=[sales], title="pinned next", pinned=True, published_at=days_ago(30))
    popular = item_for(everyone=True, title="new, shared by 3 colleagues", published_at=days_ago(5))
    item_for(everyone=True, title="new, shared by nobody, newest", published_at=days_ago(1))
    item_for(everyone=True, title="old, not new this week", published_at=days_ago(12))
    failed = item_for(everyone=True, title="share failed: still to share", published_at=days_ago(6))
    item_for(teams=[engineering], title="not targeted")
    item_for(everyone=True, title="expired", expires_at=timezone.now() - timedelta(minutes=1))
    shared = item_for(everyone=True, title="already shared")
    ContentItemFactory(title="draft", status="draft")
    for colleague in colleagues:
        share(colleague, popular)
    share(colleagues[0], failed)
    share(ann, shared)
    share(ann, failed, status="failed")

    assert digest_titles(ann) == [
        "campaign priority first",
        "pinned next",
        "new, shared by 3 colleagues",
        "share failed: still to share",  # new, and 1 colleague shared it
        "new, shared by nobody, newest",
        "old, not new this week",
    ]


def test_weekly_digest_email_has_items_impact_rank_and_team_progress(monkeypatch, sales):
    ann = person("weekly", team=sales, full_name="Ann Advocate", timezone="Europe/London")
    bob = person("weekly", team=sales)
    campaign = CampaignFactory(name="Cloud launch", goal_shares=10, priority=1)
    launched = item_for(everyone=True, title="We launched in Frankfurt", campaign=campaign)
    share(bob, launched)
    share(bob, item_for(everyone=True, campaign=campaign))
    item_for(everyone=True, title="Second story", published_at=days_ago(2))
    rollup_run()  # campaign goals are read from the rollups, which the minutely sweep keeps
    from analytics import impact as analytics

    monkeypatch.setattr(
        analytics, "advocate_impacts",
        lambda users, *, start, end: {
            u.pk: Impact(shares=3, clicks=42, points=120, rank=4, previous_rank=7) for u in users
        },
    )

    report = digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")

    assert (report.sent, report.skipped, report.failed) == (1, 0, 0)
    [message] = mail.outbox
    assert message.subject == "Your week in Chorus: 3 new posts to share"
    html, text = message.alternatives[0][0], message.body
    for part in (html, text):
        assert "We launched in Frankfurt" in part and "Second story" in part
        assert "Cloud launch" in part and "2 of 10" in part and "your team: 2 shares" in part
        assert "Up 3 places" in part and "#4" in part
        assert "http://testserver/n/share/" in part
    assert "<script" not in html.lower()
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    rank = Notification.objects.get(user=ann, kind="rank")
    assert rank.title == "You're #4 this week" and rank.dedupe_key == "rank:2025-W48"
    delivery = EmailDelivery.objects.get(user=ann)
    assert delivery.status == "sent" and delivery.to_email == ann.email


def test_nothing_new_is_skipped_and_recorded(settings, sales):
    ann = person("weekly", team=sales)
    item_for(everyone=True, title="old news", published_at=days_ago(9))
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")
    assert mail.outbox == []
    assert EmailDelivery.objects.get(user=ann).status == "skipped"

    settings.SKIP_EMPTY_DIGESTS = False
    bob = person("weekly", team=sales)
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[bob.pk], claim_token="t2")
    [message] = mail.outbox
    assert "Nothing new was published for you this week" in message.body and "old news" in message.body


def test_daily_digest_counts_new_since_yesterday_and_has_no_impact_block(sales):
    ann = person("daily", team=sales)
    item_for(everyone=True, title="from this morning", published_at=timezone.now() - timedelta(hours=3))
    item_for(everyone=True, title="from last week", published_at=days_ago(4))
    digest_chunk(kind="daily_digest", period="2025-11-25", user_ids=[ann.pk], claim_token="t")
    [message] = mail.outbox
    assert message.subject == "Today in Chorus: 1 new post to share"
    assert "from this morning" in message.body and "YOUR LAST 7 DAYS" not in message.body


class BouncingBackend:
    """Delivers to the test outbox, except to addresses with "bounce" in them."""

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend()

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if any("bounce" in to for m in messages for to in m.to):
            raise ConnectionRefusedError("mailbox unavailable")
        return self.inner.send_messages(messages)


def test_digest_chunk_queries_do_not_grow_with_advocates(monkeypatch, settings, django_assert_num_queries):
    """The whole chunk, last week's impact, ranks and the outcomes included: the same
    number of queries for 5 people as for 150 (more than a ``SEND_BATCH`` of emails), and
    whatever the mix of outcomes (the big chunk has failures too)."""
    from analytics.models import PointsEntry
    from notifications.services.deliveries import SEND_BATCH

    # SQLite's own insert batches (999 variables by default) would grow with the chunk;
    # the SQLite in use takes 32,766 (PostgreSQL has no such batches).
    monkeypatch.setattr(connection.features, "max_query_params", 32766)
    teams = [TeamFactory(name=f"T{i}") for i in range(3)]
    CampaignFactory(goal_shares=50)
    for i in range(6):
        item_for(everyone=i % 2 == 0, teams=[teams[i % 3]], published_at=days_ago(i))

    settings.EMAIL_BACKEND = f"{__name__}.BouncingBackend"

    def chunk(count: int, period: str, bounces: int = 0) -> tuple[str, list[int]]:
        people = [person("weekly", team=teams[i % 3], email=f"{'bounce' if i < bounces else 'ok'}-{period}-{i}@x.test")
                  for i in range(count)]
        PointsEntry.objects.bulk_create(
            PointsEntry(user=p, team=p.team, kind="share", event_key=f"{period}-{p.pk}", day=days_ago(i % 6 + 1).date(),
                        unit_points=10, points=10 * (i % 4 + 1))
            for i, p in enumerate(people)
        )
        return period, [p.pk for p in people]

    def send(period: str, ids: list[int]) -> None:
        digest_chunk(kind="weekly_digest", period=period, user_ids=ids, claim_token=period)

    send(*chunk(2, "2025-W00"))  # warm the per-process caches (content types, templates)
    few, many = chunk(5, "2025-W01"), chunk(150, "2025-W02", bounces=7)
    assert len(many[1]) > SEND_BATCH
    with CaptureQueriesContext(connection) as ctx:
        send(*few)
    with django_assert_num_queries(len(ctx.captured_queries)):
        send(*many)
    assert EmailDelivery.objects.filter(status="sent").count() == 150
    assert EmailDelivery.objects.filter(status="retrying", error__contains="mailbox unavailable").count() == 7
    assert Notification.objects.filter(kind="rank").count() == 157  # everyone earned points and a rank


class FlakySMTP:
    """A mail backend that fails ``failures`` times, then delivers to the test outbox."""

    failures = 0

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend()

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if FlakySMTP.failures > 0:
            FlakySMTP.failures -= 1
            raise ConnectionRefusedError("smtp down")
        return self.inner.send_messages(messages)


def test_failed_emails_are_retried_with_backoff_then_given_up(settings, sales):
    settings.EMAIL_BACKEND = "tests.notifications.test_digests.FlakySMTP"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    FlakySMTP.failures = 1
    ann = person("weekly", team=sales)
    item_for(everyone=True)
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")
    delivery = EmailDelivery.objects.get(user=ann)
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert "smtp down" in delivery.error and delivery.next_attempt_at > timezone.now()

    assert deliveries_retry_due() == []  # not yet
    tokens = deliveries_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1))
    assert len(tokens) == 1
    assert deliveries_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1)) == []  # taken once
    deliveries_send(claim_token=tokens[0])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")
    assert len(mail.outbox) == 1

    FlakySMTP.failures = 10
    bob = person("weekly", team=sales)
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[bob.pk], claim_token="t2")
    for _ in range(2):
        row = EmailDelivery.objects.get(user=bob)
        for token in deliveries_retry_due(now=row.next_attempt_at + timedelta(seconds=1)):
            deliveries_send(claim_token=token)
    row = EmailDelivery.objects.get(user=bob)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)


def test_a_run_that_died_after_claiming_is_taken_over(sales):
    ann = person("weekly", team=sales)
    item_for(everyone=True)
    EmailDelivery.objects.create(
        user=ann, kind="weekly_digest", period="2025-W48", claim_token="dead-worker",
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    [token] = deliveries_retry_due()
    deliveries_send(claim_token=token)
    assert EmailDelivery.objects.get(user=ann).status == "sent" and len(mail.outbox) == 1


def test_impact_covers_the_seven_whole_days_before_the_digest(monkeypatch, sales):
    from datetime import UTC, datetime

    from freezegun import freeze_time

    from analytics import impact as analytics

    calls = []
    monkeypatch.setattr(analytics, "advocate_impacts",
                        lambda users, *, start, end: calls.append((start, end)) or {u.pk: Impact() for u in users})
    ann = person("weekly", team=sales, timezone="America/New_York")
    item_for(everyone=True)
    reverse("home")  # load the URLconf (and its C extensions) before freezegun swaps datetime
    with freeze_time(datetime(2025, 11, 24, 14, 0, 3, tzinfo=UTC)):
        digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="t")
    assert calls == [(datetime(2025, 11, 17, tzinfo=UTC), datetime(2025, 11, 24, tzinfo=UTC))]
