"""Posting shares to the sandbox networks over real HTTP: outcomes, retries, reconciliation."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from advocacy.models import Share, SocialAccount
from advocacy.services.posting import share_post
from advocacy.services.sharing import ShareRequest, share_create, share_retry
from advocacy.services.sweeps import shares_dispatch_due, shares_sweep_stale
from notifications.models import Notification
from tests.factories import UserFactory, published_item
from tests.support import connect_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(networks, redis_url):
    user = UserFactory(full_name="Ann Lee")
    connect_account(user, "linkedin", networks)
    connect_account(user, "x", networks)
    return user


def make_shares(user, django_capture_on_commit_callbacks, *, networks=("linkedin", "x"), key="k1", **item_kwargs):
    item_kwargs.setdefault("url", "https://example.com/story")
    item = published_item(texts=[("linkedin", "Proud of this (really) — #cloud"), ("x", "Worth a read")],
                          **item_kwargs)
    with django_capture_on_commit_callbacks(execute=False):
        return share_create(user=user, item=item, request=ShareRequest(networks=list(networks), idempotency_key=key))


def posts(sandbox, network):
    return sandbox.state.posts(network)


def test_posts_to_both_networks(ann, networks, django_capture_on_commit_callbacks):
    shares = make_shares(ann, django_capture_on_commit_callbacks)
    for share in shares:
        assert share_post(share_id=share.pk).status == "posted"
    li, x = (Share.objects.get(pk=s.pk) for s in sorted(shares, key=lambda s: s.network))
    assert li.remote_id.startswith("urn:li:") and li.remote_url.endswith(f"/feed/update/{li.remote_id}/")
    assert x.remote_id and f"/status/{x.remote_id}" in x.remote_url
    [li_post] = posts(networks, "linkedin")
    # Escaped on the wire, stored unescaped and untruncated: the parentheses survived.
    assert li_post.text.startswith("Proud of this (really) — #cloud") and li.tracked_url in li_post.text
    [x_post] = posts(networks, "x")
    assert x.tracked_url in x_post.raw_text


def test_a_task_run_twice_posts_once(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    assert share_post(share_id=share.pk).status == "posted"
    assert share_post(share_id=share.pk) is None
    assert len(posts(networks, "x")) == 1


@pytest.mark.parametrize("network", ["x", "linkedin"])
def test_accepted_then_dropped_is_reconciled_not_reposted(ann, networks, network, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=[network])
    networks.faults.next("drop_after_accept", network=network, group="post")
    first = share_post(share_id=share.pk)
    share.refresh_from_db()
    if network == "x":
        # X: the post is found among the account's recent posts straight away.
        assert first.status == "posted" and share.remote_id
    else:
        # LinkedIn: queued again; the re-post is answered "duplicate", which proves the first landed.
        assert first.status == "queued" and share.ambiguous_at is not None
        assert share_post(share_id=share.pk).status == "posted"
    assert len(posts(networks, network)) == 1
    assert Share.objects.get(pk=share.pk).status == "posted"


def test_transient_errors_retry_with_backoff(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    networks.faults.next("error", network="x", group="post", status=503)
    outcome = share_post(share_id=share.pk)
    assert outcome.status == "queued" and outcome.retry_in > 0
    share.refresh_from_db()
    assert share.next_attempt_at > timezone.now() and "Retrying" in share.error_message
    assert share_post(share_id=share.pk).status == "posted"
    assert len(posts(networks, "x")) == 1


def test_x_rate_limit_waits_until_the_reset(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    networks.faults.next("rate_limit", network="x", group="post")
    outcome = share_post(share_id=share.pk)
    assert outcome.status == "queued" and outcome.retry_in >= 60


def test_expired_token_fails_with_reconnect_and_tells_the_employee(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"])
    networks.faults.next("expired_token", network="linkedin", group="post")
    assert share_post(share_id=share.pk).status == "failed"
    share.refresh_from_db()
    assert "Reconnect" in share.error_message and share.error_code == "auth"
    assert SocialAccount.objects.get(user=ann, network="linkedin").status == "reconnect"
    kinds = set(Notification.objects.filter(user=ann).values_list("kind", flat=True))
    assert kinds == {"reconnect", "share_failed"}
    assert any("Reconnect your LinkedIn" in m.subject for m in mail.outbox)
    assert len(posts(networks, "linkedin")) == 0


def test_retired_linkedin_version_fails_and_alerts_admins(ann, networks, settings, django_capture_on_commit_callbacks):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.LINKEDIN_VERSION = "202301"
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"])
    assert share_post(share_id=share.pk).status == "failed"
    share.refresh_from_db()
    assert share.error_code == "config" and "admins have been told" in share.error_message
    assert any("misconfigured" in m.subject for m in mail.outbox)


def test_rejection_fails_with_the_reason_and_retry_works(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    networks.faults.next("forbidden", network="x", group="post")
    assert share_post(share_id=share.pk).status == "failed"
    share.refresh_from_db()
    assert share.error_message and share.can_retry
    with django_capture_on_commit_callbacks(execute=False):
        assert share_retry(user=ann, share=share)
    assert share_post(share_id=share.pk).status == "posted"


def test_scheduled_share_is_dispatched_on_time(ann, networks, django_capture_on_commit_callbacks):
    item = published_item(url="https://example.com/later")
    with django_capture_on_commit_callbacks(execute=False):
        [share] = share_create(user=ann, item=item, request=ShareRequest(
            networks=["linkedin"], idempotency_key="later", scheduled_for=timezone.now() + timedelta(hours=1)))
    assert shares_dispatch_due() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert shares_dispatch_due(now=timezone.now() + timedelta(hours=1, seconds=5)) == 1
    assert Share.objects.get(pk=share.pk).status == "posted"  # the eager task ran on commit


def test_worker_died_mid_post_is_reconciled_by_the_sweep(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    # The provider accepted the post, then the worker died before recording it.
    networks.faults.next("drop_after_accept", network="x", group="post")
    from advocacy.services.posting import _claim, _post_request
    from advocacy.services.tokens import account_access_token
    from networks.registry import get_adapter

    claimed = _claim(share.pk)
    adapter = get_adapter("x")
    try:
        adapter.publish(token=account_access_token(account=claimed.account), post=_post_request(claimed, adapter))
    except Exception:  # noqa: S110  (the worker is dead: nobody sees this)
        pass
    Share.objects.filter(pk=share.pk).update(posting_started_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert shares_sweep_stale() == {"redispatched": 0, "stuck": 1}
    assert Share.objects.get(pk=share.pk).status == "posted"
    assert len(posts(networks, "x")) == 1


def test_lost_queued_share_is_redispatched(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"])
    Share.objects.filter(pk=share.pk).update(enqueued_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert shares_sweep_stale()["redispatched"] == 1
    assert Share.objects.get(pk=share.pk).status == "posted"


def test_budgets_are_checked_in_redis_before_calling(ann, networks, settings, django_capture_on_commit_callbacks):
    settings.X_USER_POSTS_PER_15_MIN = 2
    shares = [make_shares(ann, django_capture_on_commit_callbacks, networks=["x"], key=f"b{n}")[0] for n in range(3)]
    assert [share_post(share_id=s.pk).status for s in shares[:2]] == ["posted", "posted"]
    requests_before = len(posts(networks, "x"))
    outcome = share_post(share_id=shares[2].pk)
    assert outcome.status == "queued" and 0 < outcome.retry_in <= 15 * 60
    third = Share.objects.get(pk=shares[2].pk)
    assert third.error_message == "Waiting: X allows 2 posts per 15 minutes per person."
    assert len(posts(networks, "x")) == requests_before  # X was never called


def test_linkedin_daily_budget_waits_until_midnight_utc(ann, networks, settings, django_capture_on_commit_callbacks):
    settings.LINKEDIN_MEMBER_DAILY_POSTS = 1
    first, second = (make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"], key=f"l{n}")[0]
                     for n in range(2))
    assert share_post(share_id=first.pk).status == "posted"
    outcome = share_post(share_id=second.pk)
    now = timezone.now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert outcome.status == "queued" and abs(outcome.retry_in - (midnight - now).total_seconds()) < 5
    assert len(posts(networks, "linkedin")) == 1


def test_linkedin_ambiguous_post_past_the_duplicate_window_is_unconfirmed(ann, networks,
                                                                        django_capture_on_commit_callbacks):
    """LinkedIn cannot look posts up: once its duplicate check may have expired, re-posting
    could double the post, so the employee is asked instead."""
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"])
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now() - timedelta(minutes=9, seconds=30))
    outcome = share_post(share_id=share.pk)
    share.refresh_from_db()
    assert outcome.status == "unconfirmed" and share.error_code == "unconfirmed"
    assert share.error_message == "LinkedIn didn't answer when we posted, and it's too late to check safely."
    assert len(posts(networks, "linkedin")) == 0


def test_linkedin_ambiguous_post_within_the_window_is_posted_again(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"])
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now() - timedelta(minutes=8, seconds=30))
    assert share_post(share_id=share.pk).status == "posted"  # the first attempt had not landed
    assert len(posts(networks, "linkedin")) == 1


def test_x_ambiguous_post_is_looked_up_whatever_its_age(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now() - timedelta(hours=1))
    assert share_post(share_id=share.pk).status == "posted"  # not found, so posted once
    assert len(posts(networks, "x")) == 1


def test_linkedin_duplicate_on_a_first_attempt_asks_the_employee(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["linkedin"])
    networks.faults.next("duplicate", network="linkedin", group="post")
    assert share_post(share_id=share.pk).status == "unconfirmed"
    share.refresh_from_db()
    assert share.error_message == "LinkedIn says you already posted this text. Please check your profile."


def test_x_duplicate_not_found_is_unconfirmed(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    networks.faults.next("duplicate", network="x", group="post")
    assert share_post(share_id=share.pk).status == "unconfirmed"
    share.refresh_from_db()
    assert share.error_message == "X says this was already posted, but we couldn't find the post."


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 30), (2, 60), (4, 240), (5, 480), (6, 600), (9, 600)])
def test_retry_delay_is_exponential_capped_with_a_little_jitter(ann, networks, attempts, ceiling,
                                                                django_capture_on_commit_callbacks):
    """30 s doubling up to 10 minutes, plus up to a fifth below the cap: never sooner than
    the schedule, so the waits of one share add up to the retry window (test_posting_outcomes)."""
    from advocacy.services import posting
    from networks import get_adapter

    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    share.attempts = attempts
    delays = set()
    for _ in range(20):
        outcome = posting._retry(share, posting.TransientError("X is busy.", status=503), get_adapter("x"))
        delays.add(outcome.retry_in)
        Share.objects.filter(pk=share.pk).update(status="queued")
    assert all(ceiling <= d <= min(ceiling * 1.2, 600) for d in delays)
    assert len(delays) > 1 if ceiling < 600 else delays == {600}  # never beyond the cap


def test_retry_delay_honours_retry_after(ann, networks, django_capture_on_commit_callbacks):
    from advocacy.services import posting
    from networks import get_adapter

    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    share.attempts = 1
    outcome = posting._retry(share, posting.TransientError("X's rate limit.", status=429, retry_after=7200.0),
                             get_adapter("x"))
    assert outcome.retry_in == 7200.0  # beyond the cap: the provider knows best


def test_only_networks_that_want_it_get_the_thumbnail(ann, networks, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from advocacy.services.posting import _post_request
    from networks.registry import get_adapter

    shares = make_shares(ann, django_capture_on_commit_callbacks)
    item = shares[0].item
    item.image.save("card.png", ContentFile(b"\x89PNG-bytes"), save=True)
    requests = {s.network: _post_request(Share.objects.get(pk=s.pk), get_adapter(s.network)) for s in shares}
    assert requests["linkedin"].thumbnail == b"\x89PNG-bytes"
    assert requests["linkedin"].thumbnail_content_type == "image/png"
    assert requests["x"].thumbnail is None  # X builds its own card
