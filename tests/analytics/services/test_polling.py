"""Engagement polling: grouping, the decaying schedule, X's once-per-UTC-day reads,
LinkedIn only with analytics permission, and failures that delay one batch only."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import responses
from django.utils import timezone
from freezegun import freeze_time

from advocacy.models import AccountStatus, ProgrammeSettings, SocialAccount
from advocacy.services.tokens import account_access_token
from analytics.models import ApiUsage, EngagementSnapshot, MetricsDenial, ShareDay, ShareMetrics
from analytics.services.polling import engagement_poll_due, next_after
from analytics.services.rollups import rollup_run
from networks import ConfigError, PostMetrics, PostRequest, TransientError
from networks.registry import get_adapter
from tests.analytics.conftest import posted_share
from tests.conftest import point_chorus_at_real_hosts
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
        self.denied_metrics: set[str] = set()
        self.metrics_calls = 0

    def __call__(self, network: str) -> "CountingAdapter":
        return self

    def fetch_metrics(self, *, remote_ids, token=None):
        self.calls.append(list(remote_ids))
        self.metrics_calls = 1
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


# --------------------------------------------------------------------------- what providers refuse

POSTED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LI_ANALYTICS = "https://api.linkedin.com/rest/memberCreatorPostAnalytics"
X_TWEETS = "https://api.x.com/2/tweets"
ANALYTICS_DENIED = {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to access: memberCreatorPostAnalytics.GET.20251001"}
LI_SCOPES = "openid profile email w_member_social r_member_postAnalytics"


@pytest.fixture
def real_hosts(settings):
    """Chorus configured for the real provider hosts (``responses`` answers for them)."""
    point_chorus_at_real_hosts(settings)
    settings.LINKEDIN_POST_ANALYTICS = True
    return settings


@pytest.fixture
def mocked(real_hosts):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def analytics_answer(counts: dict[str, int]):
    """LinkedIn's memberCreatorPostAnalytics: one metric per call (``queryType``)."""
    def answer(request):
        metric = parse_qs(urlsplit(request.url).query)["queryType"][0]
        if metric not in counts:
            return 403, {}, json.dumps(ANALYTICS_DENIED)
        element = {"count": counts[metric], "metricType": metric,
                   "dateRange": {"start": {"year": 2026, "month": 3, "day": 2}}}
        return 200, {}, json.dumps({"paging": {"start": 0, "count": 10, "links": []}, "elements": [element]})
    return answer


def linkedin_budget_used(redis_url: str, day: str) -> int:
    return int(redis.Redis.from_url(redis_url).get(f"budget:linkedin:analytics:{day}") or 0)


def test_metrics_linkedin_refuses_are_not_asked_again_until_the_scopes_change(mocked, redis_url):
    with freeze_time(POSTED + timedelta(minutes=1)):
        account = SocialAccountFactory(network="linkedin", scopes=LI_SCOPES)
        shares = [posted_share(network="linkedin", account=account, posted_at=POSTED,
                               remote_id=f"urn:li:share:71234567890123{i}") for i in range(2)]
        rollup_run()
    mocked.add_callback(responses.GET, LI_ANALYTICS, callback=analytics_answer({}))  # every metric: 403

    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        result = engagement_poll_due()
    # The first post's five calls are refused; the adapter asks nothing more for the second.
    assert len(mocked.calls) == 5 and result.calls["linkedin"] == 5
    assert ApiUsage.objects.get(network="linkedin").calls == 5  # charged per call made, not the 10 planned
    assert linkedin_budget_used(redis_url, "20260302") == 5
    denial = MetricsDenial.objects.get(account=account)
    assert denial.metric_set == {"IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE"}
    assert denial.scopes == LI_SCOPES
    for share in shares:
        metrics = ShareMetrics.objects.get(share=share)
        # Not retried in a few minutes: the next read is the schedule's 6-hour one.
        assert metrics.next_poll_at == POSTED + timedelta(hours=6) and metrics.polls == 1

    with freeze_time(POSTED + timedelta(hours=6, seconds=30)):
        result = engagement_poll_due()
    assert len(mocked.calls) == 5 and result.skipped == 2  # no call at all
    metrics = ShareMetrics.objects.get(share=shares[0])
    assert "refused this connection's post statistics" in metrics.note
    assert metrics.next_poll_at == POSTED + timedelta(hours=24)

    # The same scopes in another order are not a change.
    SocialAccount.objects.filter(pk=account.pk).update(scopes=" ".join(reversed(LI_SCOPES.split())))
    with freeze_time(POSTED + timedelta(hours=24, seconds=30)):
        engagement_poll_due()
    assert len(mocked.calls) == 5

    # Reconnected, and LinkedIn now grants more: asked again, and read.
    SocialAccount.objects.filter(pk=account.pk).update(scopes=LI_SCOPES + " r_basicprofile")
    mocked.remove(responses.GET, LI_ANALYTICS)  # the refusing answer
    mocked.add_callback(responses.GET, LI_ANALYTICS, callback=analytics_answer(
        {"IMPRESSION": 120, "MEMBERS_REACHED": 90, "REACTION": 7, "COMMENT": 2, "RESHARE": 1}))
    with freeze_time(POSTED + timedelta(days=3, seconds=30)):
        result = engagement_poll_due()
    assert result.polled == 2 and len(mocked.calls) == 5 + 10
    assert not MetricsDenial.objects.filter(account=account).exists()
    metrics = ShareMetrics.objects.get(share=shares[1])
    assert (metrics.impressions, metrics.members_reached, metrics.reactions, metrics.comments, metrics.reshares) == (
        120, 90, 7, 2, 1)


class RefusingLinkedIn:
    """A LinkedIn adapter that refuses MEMBERS_REACHED and can leave metrics out."""

    def __init__(self) -> None:
        self.skipped: list[frozenset[str]] = []
        self.unavailable: dict[str, str] = {}
        self.denied_metrics: set[str] = set()
        self.metrics_calls = 0

    def __call__(self, network: str) -> "RefusingLinkedIn":
        return self

    def fetch_metrics(self, *, remote_ids, token=None, skip_metrics=frozenset()):
        from networks.linkedin import METRICS

        self.skipped.append(frozenset(skip_metrics))
        asked = [m for m in METRICS if m not in skip_metrics]
        self.metrics_calls = len(asked) * len(remote_ids)
        self.denied_metrics = {"MEMBERS_REACHED"} & set(asked)
        return {rid: PostMetrics(rid, reactions=3, comments=1, reshares=0, impressions=50) for rid in remote_ids}


def test_a_refused_metric_is_left_out_of_later_reads_and_the_budget(no_redis, settings):
    settings.LINKEDIN_POST_ANALYTICS = True
    fake = RefusingLinkedIn()
    with freeze_time(POSTED + timedelta(minutes=1)):
        account = SocialAccountFactory(network="linkedin", scopes=LI_SCOPES)
        shares = [posted_share(network="linkedin", account=account, posted_at=POSTED) for _ in range(3)]
        rollup_run()
    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        engagement_poll_due(adapter_factory=fake)
    with freeze_time(POSTED + timedelta(hours=6, seconds=30)):
        result = engagement_poll_due(adapter_factory=fake)
    assert fake.skipped == [frozenset(), frozenset({"MEMBERS_REACHED"})]
    assert result.polled == 3 and result.calls["linkedin"] == 4 * 3
    assert ApiUsage.objects.get(network="linkedin").calls == 5 * 3 + 4 * 3
    assert MetricsDenial.objects.get(account=account).metric_set == {"MEMBERS_REACHED"}
    assert ShareMetrics.objects.get(share=shares[0]).impressions == 50


def test_a_metric_refused_once_is_not_requested_at_the_next_poll(mocked, redis_url):
    """Over HTTP: the real adapter, LinkedIn refusing MEMBERS_REACHED (403)."""
    with freeze_time(POSTED + timedelta(minutes=1)):
        account = SocialAccountFactory(network="linkedin", scopes=LI_SCOPES)
        shares = [posted_share(network="linkedin", account=account, posted_at=POSTED,
                               remote_id=f"urn:li:share:71234567890123{i}") for i in range(2)]
        rollup_run()
    mocked.add_callback(responses.GET, LI_ANALYTICS, callback=analytics_answer(
        {"IMPRESSION": 120, "REACTION": 7, "COMMENT": 2, "RESHARE": 1}))

    def asked(metric: str) -> int:
        return sum(1 for c in mocked.calls if parse_qs(urlsplit(c.request.url).query)["queryType"] == [metric])

    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        first = engagement_poll_due()
    # The first post: five calls, MEMBERS_REACHED refused; the second post: the other four.
    assert len(mocked.calls) == 5 + 4 and first.calls["linkedin"] == 9 and asked("MEMBERS_REACHED") == 1
    assert MetricsDenial.objects.get(account=account).metric_set == {"MEMBERS_REACHED"}

    with freeze_time(POSTED + timedelta(hours=6, seconds=30)):
        second = engagement_poll_due()  # the account's scopes are unchanged
    assert second.polled == 2 and second.calls["linkedin"] == 4 * 2
    assert len(mocked.calls) == 9 + 8 and asked("MEMBERS_REACHED") == 1  # not requested again
    assert ApiUsage.objects.get(network="linkedin").calls == 9 + 8
    assert linkedin_budget_used(redis_url, "20260302") == 9 + 8
    metrics = ShareMetrics.objects.get(share=shares[0])
    assert (metrics.impressions, metrics.members_reached, metrics.reactions) == (120, None, 7)


def test_a_refused_count_keeps_its_stored_value_instead_of_a_false_unlike(mocked, redis_url):
    """A metric LinkedIn refuses comes back as 0: the reactions already counted must stand."""
    with freeze_time(POSTED + timedelta(minutes=1)):
        account = SocialAccountFactory(network="linkedin", scopes=LI_SCOPES)
        share = posted_share(network="linkedin", account=account, posted_at=POSTED,
                             remote_id="urn:li:share:7123456789012399")
        rollup_run()
    ShareMetrics.objects.filter(share=share).update(reactions=5)
    mocked.add_callback(responses.GET, LI_ANALYTICS, callback=analytics_answer(
        {"IMPRESSION": 120, "MEMBERS_REACHED": 80, "COMMENT": 2, "RESHARE": 1}))  # REACTION refused
    for hours in (1, 6):  # refused on the first poll, skipped on the second
        with freeze_time(POSTED + timedelta(hours=hours, seconds=30)):
            engagement_poll_due()
    metrics = ShareMetrics.objects.get(share=share)
    assert (metrics.reactions, metrics.comments, metrics.impressions) == (5, 2, 120)
    snapshots = EngagementSnapshot.objects.filter(share=share).order_by("taken_at")
    assert [(s.reactions, s.d_reactions) for s in snapshots] == [(5, 0), (5, 0)]


def test_a_linkedin_batch_that_fails_half_way_costs_the_calls_it_made(mocked, redis_url):
    with freeze_time(POSTED + timedelta(minutes=1)):
        share = posted_share(network="linkedin", posted_at=POSTED, scopes=LI_SCOPES)
        rollup_run()
    mocked.get(LI_ANALYTICS, json={"elements": [{"count": 4, "metricType": "IMPRESSION"}]})
    mocked.get(LI_ANALYTICS, status=503, json={"status": 503, "message": "Service Unavailable"})
    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        result = engagement_poll_due()
    assert len(mocked.calls) == 2 and result.delayed == 1 and result.calls["linkedin"] == 2
    assert ApiUsage.objects.get(network="linkedin").calls == 2
    assert linkedin_budget_used(redis_url, "20260302") == 2
    assert not MetricsDenial.objects.exists()
    assert ShareMetrics.objects.get(share=share).polls == 0


def test_x_posts_reported_unavailable_stop_being_polled(mocked, redis_url):
    with freeze_time(POSTED + timedelta(minutes=1)):
        account = SocialAccountFactory(network="x", scopes="tweet.read tweet.write users.read offline.access")
        live, deleted, protected = (
            posted_share(network="x", account=account, posted_at=POSTED, remote_id=rid)
            for rid in ("1293593516040269825", "1293595870563381249", "1460323737035677698")
        )
        rollup_run()
    mocked.get(X_TWEETS, json={
        "data": [{"id": "1293593516040269825", "edit_history_tweet_ids": ["1293593516040269825"],
                  "text": "It's finally here!", "public_metrics": {
                      "retweet_count": 2, "reply_count": 1, "like_count": 9, "quote_count": 0,
                      "bookmark_count": 0, "impression_count": 310}}],
        "errors": [
            {"value": "1293595870563381249", "detail": "Could not find tweet with ids: [1293595870563381249].",
             "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
             "resource_id": "1293595870563381249", "type": "https://api.twitter.com/2/problems/resource-not-found"},
            {"value": "1460323737035677698",
             "detail": "Sorry, you are not authorized to see the Tweet with ids: [1460323737035677698].",
             "title": "Authorization Error", "resource_type": "tweet", "parameter": "ids",
             "resource_id": "1460323737035677698", "type": "https://api.twitter.com/2/problems/not-authorized-for-resource"},
        ],
    })
    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        result = engagement_poll_due()
    assert result.polled == 3 and len(mocked.calls) == 1
    assert ShareMetrics.objects.get(share=live).next_poll_at == POSTED + timedelta(hours=6)
    assert ShareMetrics.objects.get(share=live).impressions == 310
    for share in (deleted, protected):
        metrics = ShareMetrics.objects.get(share=share)
        assert metrics.next_poll_at is None and metrics.note.startswith("Not available: ")
    assert "not authorized" in ShareMetrics.objects.get(share=protected).note
    with freeze_time(POSTED + timedelta(days=40)):
        engagement_poll_due()
    assert len(mocked.calls) == 2  # only the live post's 6-hour read came due


def test_x_is_charged_for_the_calls_it_made(mocked, redis_url):
    with freeze_time(POSTED + timedelta(minutes=1)):
        account = SocialAccountFactory(network="x", scopes="tweet.read tweet.write users.read offline.access")
        good = posted_share(network="x", account=account, posted_at=POSTED, remote_id="1293593516040269825")
        bad = posted_share(network="x", account=account, posted_at=POSTED, remote_id="12935935160402698251234")
        rollup_run()
    # A malformed id: X refuses the whole lookup, the adapter asks again without it.
    mocked.get(X_TWEETS, status=400, json={
        "errors": [{"parameters": {"ids": ["12935935160402698251234"]},
                    "message": "The `ids` query parameter value [12935935160402698251234] is not valid"}],
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request"})
    mocked.get(X_TWEETS, json={"data": [{"id": "1293593516040269825", "text": "Hello",
                                         "public_metrics": {"like_count": 1, "impression_count": 20}}]})
    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        result = engagement_poll_due()
    assert len(mocked.calls) == 2 and result.calls["x"] == 2
    usage = ApiUsage.objects.get(network="x")
    assert (usage.calls, usage.posts_read) == (2, 2)
    lookups = redis.Redis.from_url(redis_url).get(f"budget:x:lookup:{int((POSTED + timedelta(hours=1)).timestamp()) // 900}")
    assert int(lookups) == 2
    assert ShareMetrics.objects.get(share=bad).next_poll_at is None
    assert ShareMetrics.objects.get(share=good).impressions == 20


def test_an_x_batch_that_made_no_call_costs_nothing(no_redis):
    class Unconfigured(CountingAdapter):
        def fetch_metrics(self, *, remote_ids, token=None):
            self.metrics_calls = 0
            raise ConfigError("Chorus has no X app bearer token for reading metrics.", network="x")

    share = posted_share(network="x", posted_at=timezone.now() - 2 * HOUR)
    rollup_run()
    make_due([share])
    result = engagement_poll_due(adapter_factory=Unconfigured())
    assert result.delayed == 1 and result.calls["x"] == 0
    assert not ApiUsage.objects.exists()


# --------------------------------------------------------------------------- at scale (B5)


def test_a_sweep_writes_its_reads_in_groups_not_a_transaction_per_batch(no_redis):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shares = x_shares(400, posted_at=timezone.now() - 2 * HOUR)
    make_due(shares)
    fake = CountingAdapter()
    with CaptureQueriesContext(connection) as queries:
        result = engagement_poll_due(adapter_factory=fake)
    assert len(fake.calls) == 4 and result.polled == 400
    sqls = [q["sql"] for q in queries.captured_queries]
    # Four X batches, one write of what they read: one usage update, not one per batch.
    assert sum(sql.startswith('UPDATE "analytics_apiusage"') for sql in sqls) == 1
    readings = [sql for sql in sqls if sql.startswith('UPDATE "analytics_sharemetrics" SET "stage"')]
    assert readings and all("CASE" not in sql and "FROM (VALUES" in sql for sql in readings)
    usage = ApiUsage.objects.get(network="x")
    assert (usage.calls, usage.posts_read, usage.billed_reads) == (4, 400, 400)
    assert EngagementSnapshot.objects.count() == 400
    assert ShareMetrics.objects.filter(polls=1, stage=1, note="").count() == 400
    assert not ShareMetrics.objects.filter(next_poll_at__lte=timezone.now() + timedelta(minutes=30))


def test_linkedin_authors_share_one_adapter_and_are_read_with_their_own_tokens(mocked, redis_url):
    with freeze_time(POSTED + timedelta(minutes=1)):
        accounts = [SocialAccountFactory(network="linkedin", scopes=LI_SCOPES) for _ in range(3)]
        shares = [posted_share(network="linkedin", account=a, posted_at=POSTED) for a in accounts]
        rollup_run()
    mocked.add_callback(responses.GET, LI_ANALYTICS, callback=analytics_answer(
        {"IMPRESSION": 40, "REACTION": 2, "COMMENT": 1, "RESHARE": 0, "MEMBERS_REACHED": 30}))
    made = []

    def factory(network):
        made.append(network)
        return get_adapter(network)

    with freeze_time(POSTED + timedelta(hours=1, seconds=30)):
        result = engagement_poll_due(adapter_factory=factory)
    assert result.polled == 3 and made == ["linkedin"]
    tokens = {call.request.headers["Authorization"] for call in mocked.calls}
    assert tokens == {f"Bearer {SocialAccount.objects.get(pk=a.pk).access_token}" for a in accounts}
    assert len(tokens) == 3
    assert len(mocked.calls) == 15 and ApiUsage.objects.get(network="linkedin").calls == 15
    assert all(ShareMetrics.objects.get(share=s).impressions == 40 for s in shares)
