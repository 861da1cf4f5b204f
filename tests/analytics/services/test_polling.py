"""Engagement polling: grouping, the decaying schedule, X's once-per-UTC-day reads,
LinkedIn only with analytics permission, and failures that delay one batch only."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from advocacy.models import AccountStatus, ProgrammeSettings
from advocacy.services.tokens import account_access_token
from analytics.models import ApiUsage, EngagementSnapshot, ShareDay, ShareMetrics
from analytics.services.polling import engagement_poll_due, next_after
from analytics.services.rollups import rollup_run
from networks import PostMetrics, PostRequest, TransientError
from networks.registry import get_adapter
from tests.analytics.conftest import posted_share
from tests.factories import SocialAccountFactory, UserFactory
from tests.support import connect_account

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def calls(sandbox, network: str) -> int:
    return sandbox.state.requests.get(f"{network}.metrics", 0)


def x_shares(n: int, *, posted_at=None) -> list:
    account = SocialAccountFactory(network="x", user=UserFactory())
    shares = [posted_share(network="x", account=account, posted_at=posted_at) for _ in range(n)]
    rollup_run()  # gives them metrics rows and a schedule
    return shares


def make_due(shares) -> None:
    ShareMetrics.objects.filter(share__in=shares).update(next_poll_at=timezone.now() - timedelta(seconds=1))


class CountingAdapter:
    """Stands in for a network: counts calls, answers growing numbers."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.unavailable: dict[str, str] = {}

    def __call__(self, network: str) -> "CountingAdapter":
        return self

    def fetch_metrics(self, *, remote_ids, token=None):
        self.calls.append(list(remote_ids))
        n = len(self.calls)
        return {rid: PostMetrics(rid, reactions=2 * n, comments=n, reshares=0, impressions=100 * n)
                for rid in remote_ids}


def test_101_due_x_shares_take_two_calls_with_the_app_token(networks, redis_url):
    shares = x_shares(101, posted_at=timezone.now() - 2 * HOUR)
    make_due(shares)
    result = engagement_poll_due()
    assert calls(networks, "x") == 2
    assert result.calls["x"] == 2 and result.polled == 101
    usage = ApiUsage.objects.get(network="x")
    assert (usage.calls, usage.posts_read, usage.billed_reads) == (2, 101, 101)
    assert usage.cost == Decimal("101") * Decimal("0.005")
    # Nothing is due any more: a second sweep makes no call.
    engagement_poll_due()
    assert calls(networks, "x") == 2


def test_real_posts_get_snapshots_and_latest_totals(networks, redis_url):
    user = UserFactory()
    account = connect_account(user, "x", networks)
    adapter = get_adapter("x")
    post = adapter.publish(token=account_access_token(account=account),
                           post=PostRequest(author_id=account.remote_id, text="Hello from the test"))
    share = posted_share(network="x", account=account, remote_id=post.remote_id,
                         posted_at=timezone.now() - 2 * HOUR)
    rollup_run()
    networks.clock.advance(2 * 3600)  # the sandbox's engagement grows with the post's age
    make_due([share])
    engagement_poll_due()
    metrics = ShareMetrics.objects.get(share=share)
    snapshot = EngagementSnapshot.objects.get(share=share)
    assert metrics.impressions and metrics.impressions == snapshot.impressions == snapshot.d_impressions
    assert metrics.polls == 1 and metrics.stage == 1  # the 6-hour read is next
    day = ShareDay.objects.get(share=share, day=snapshot.day)
    assert day.impressions == metrics.impressions and day.estimated_impressions == 0


def test_the_schedule_decays_then_stops(no_redis):
    fake = CountingAdapter()
    posted = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with freeze_time(posted + timedelta(minutes=1)):
        share = posted_share(network="x", posted_at=posted)
        rollup_run()
    reads = []
    moment = posted
    with freeze_time(moment) as clock:
        while moment < posted + timedelta(days=45):
            moment += timedelta(minutes=30)
            clock.move_to(moment)
            before = len(fake.calls)
            engagement_poll_due(adapter_factory=fake)
            if len(fake.calls) > before:
                reads.append(moment - posted)
    assert [round(r / HOUR) for r in reads] == [1, 6, 24, 72, 168, 720]
    metrics = ShareMetrics.objects.get(share=share)
    assert metrics.next_poll_at is None and metrics.polls == 6
    assert metrics.reactions == 12 and metrics.impressions == 600  # the latest totals
    assert EngagementSnapshot.objects.filter(share=share).count() == 6


def test_x_reads_a_post_at_most_once_per_utc_day_after_its_first_day(no_redis):
    fake = CountingAdapter()
    posted = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    with freeze_time(posted + timedelta(minutes=1)):
        share = posted_share(network="x", posted_at=posted)
        rollup_run()
    for at in ("2026-03-03 00:00:30", "2026-03-03 05:00:30"):  # the 1 h and 6 h reads
        with freeze_time(at):
            engagement_poll_due(adapter_factory=fake)
    assert len(fake.calls) == 2
    metrics = ShareMetrics.objects.get(share=share)
    # The 24 h read would fall on 3 March again: moved to the next UTC day.
    assert metrics.next_poll_at == datetime(2026, 3, 4, tzinfo=UTC)
    with freeze_time("2026-03-03 23:30:00"):
        engagement_poll_due(adapter_factory=fake)
    assert len(fake.calls) == 2
    with freeze_time("2026-03-04 00:00:30"):
        engagement_poll_due(adapter_factory=fake)
    assert len(fake.calls) == 3
    # Even if something makes it due again the same UTC day, X is not read twice.
    with freeze_time("2026-03-04 15:00:00"):
        make_due([share])
        result = engagement_poll_due(adapter_factory=fake)
    assert len(fake.calls) == 3 and result.deferred == 1
    assert ShareMetrics.objects.get(share=share).next_poll_at == datetime(2026, 3, 5, tzinfo=UTC)
    usage = ApiUsage.objects.filter(network="x")
    # Three reads, but X bills the two on 3 March as one.
    assert sum(u.posts_read for u in usage) == 3 and sum(u.billed_reads for u in usage) == 2


def test_next_after_keeps_first_day_reads_on_the_same_utc_day():
    posted = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    stage, at = next_after(posted_at=posted, moment=posted + HOUR, network="x")
    assert (stage, at) == (1, posted + 6 * HOUR)  # same UTC day, but still the first day
    stage, at = next_after(posted_at=posted, moment=posted + 40 * 24 * HOUR, network="x")
    assert (stage, at) == (6, None)


def test_linkedin_is_skipped_cleanly_without_the_analytics_scope(networks, redis_url):
    share = posted_share(network="linkedin", scopes="openid profile email w_member_social",
                         posted_at=timezone.now() - 2 * HOUR)
    rollup_run()
    make_due([share])
    result = engagement_poll_due()
    assert calls(networks, "linkedin") == 0 and result.skipped == 1
    metrics = ShareMetrics.objects.get(share=share)
    assert "analytics permission" in metrics.note and metrics.next_poll_at > timezone.now()
    assert not EngagementSnapshot.objects.exists()
    # Potential reach keeps standing in for impressions.
    assert ShareDay.objects.get(share=share).estimated_impressions == 500


def test_linkedin_is_skipped_when_the_organisation_has_no_analytics(networks, redis_url, settings):
    settings.LINKEDIN_POST_ANALYTICS = False
    share = posted_share(network="linkedin", scopes="openid w_member_social r_member_postAnalytics",
                         posted_at=timezone.now() - 2 * HOUR)
    rollup_run()
    make_due([share])
    assert engagement_poll_due().skipped == 1 and calls(networks, "linkedin") == 0


def test_linkedin_with_the_scope_is_read_with_the_authors_token(networks, redis_url):
    user = UserFactory()
    account = connect_account(user, "linkedin", networks)
    assert "r_member_postAnalytics" in account.scope_set
    adapter = get_adapter("linkedin")
    token = account_access_token(account=account)
    posts = [adapter.publish(token=token, post=PostRequest(author_id=account.remote_id, text=f"Post number {i}"))
             for i in range(2)]
    shares = [posted_share(network="linkedin", account=account, remote_id=p.remote_id,
                           posted_at=timezone.now() - 2 * HOUR) for p in posts]
    rollup_run()
    networks.clock.advance(3 * 3600)
    make_due(shares)
    result = engagement_poll_due()
    assert result.polled == 2 and calls(networks, "linkedin") == 10  # one call per metric per post
    metrics = ShareMetrics.objects.get(share=shares[0])
    assert metrics.impressions > 0 and metrics.members_reached is not None
    assert ApiUsage.objects.get(network="linkedin").cost == 0


def test_accounts_needing_reconnect_are_skipped(networks, redis_url):
    shares = x_shares(3, posted_at=timezone.now() - 2 * HOUR)
    shares[0].account.status = AccountStatus.NEEDS_RECONNECT
    shares[0].account.save()
    make_due(shares)
    result = engagement_poll_due()
    assert result.skipped == 3 and calls(networks, "x") == 0
    assert "reconnect" in ShareMetrics.objects.get(share=shares[0]).note


def test_a_provider_error_delays_only_that_batch(networks, redis_url):
    shares = x_shares(150, posted_at=timezone.now() - 2 * HOUR)
    make_due(shares)
    networks.faults.next("error", network="x", group="metrics", status=503)
    result = engagement_poll_due()
    assert result.delayed == 100 and result.polled == 50
    now = timezone.now()
    delayed = ShareMetrics.objects.filter(share__in=shares, polls=0)
    assert delayed.count() == 100 and all(m.next_poll_at > now + timedelta(minutes=4) for m in delayed)
    assert ShareMetrics.objects.filter(share__in=shares, polls=1).count() == 50
    assert ApiUsage.objects.get(network="x").posts_read == 50


def test_transient_error_with_retry_after_is_respected(no_redis):
    class Limited(CountingAdapter):
        def fetch_metrics(self, *, remote_ids, token=None):
            raise TransientError("X rate limit", retry_after=600, network="x")

    share = posted_share(network="x", posted_at=timezone.now() - 2 * HOUR)
    rollup_run()
    make_due([share])
    engagement_poll_due(adapter_factory=Limited())
    wait = ShareMetrics.objects.get(share=share).next_poll_at - timezone.now()
    assert timedelta(minutes=9) < wait <= timedelta(minutes=10)


def test_x_reads_pause_when_the_monthly_budget_is_spent(networks, redis_url):
    settings_row = ProgrammeSettings.load()
    settings_row.x_monthly_budget = Decimal("0")
    settings_row.save()
    shares = x_shares(2, posted_at=timezone.now() - 2 * HOUR)
    make_due(shares)
    result = engagement_poll_due()
    assert calls(networks, "x") == 0 and result.delayed == 2
    assert "budget" in ShareMetrics.objects.get(share=shares[0]).note


def test_deleted_posts_stop_being_polled(networks, redis_url):
    shares = x_shares(1, posted_at=timezone.now() - 2 * HOUR)  # an id the sandbox never saw
    make_due(shares)
    engagement_poll_due()
    metrics = ShareMetrics.objects.get(share=shares[0])
    assert metrics.next_poll_at is None and "Not available" in metrics.note
