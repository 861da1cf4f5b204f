"""Every branch of ``share_post``, deterministically: a scripted fake network, a fake clock,
the real embedded Redis for the breaker and budgets. Each test asserts the exact final state
(status, remote id, error code and message, attempts, posts on the fake network)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from freezegun import freeze_time

from advocacy.models import Share, SocialAccount
from advocacy.services import posting, sweeps
from advocacy.services.breaker import breaker_failure, breaker_state
from advocacy.services.posting import (
    DUPLICATE_TEXT,
    retry_schedule,
    share_post,
    share_reset_attempts,
)
from advocacy.services.sweeps import shares_sweep_stale
from networks import AuthError, ConfigError, PostBudget, RejectedError, TransientError
from notifications.models import Notification
from tests.advocacy.services.fake_network import (
    ACCEPT_THEN_DROP,
    DROP,
    FakeLinkedIn,
    FakeNetwork,
    FakeX,
    make_share,
)
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db

START = "2026-03-02 10:00:00"


@pytest.fixture(autouse=True)
def _posting_settings(settings, redis_url, monkeypatch):
    """The documented defaults, spelled out, and no jitter (exact delays)."""
    settings.SHARE_RETRY_WINDOW_MINUTES = 60
    settings.SHARE_RETRY_BASE_SECONDS = 30.0
    settings.SHARE_RETRY_CAP_SECONDS = 600.0
    settings.SHARE_BREAKER_THRESHOLD = 5
    settings.SHARE_BREAKER_COOLDOWN_SECONDS = 30.0
    settings.SHARE_BREAKER_MAX_COOLDOWN_SECONDS = 300.0
    settings.SHARE_BREAKER_DRAIN_SPACING_SECONDS = 1.0
    settings.SHARE_BREAKER_PROBE_LEASE_SECONDS = 120.0
    import core.retry

    monkeypatch.setattr(core.retry.random, "random", lambda: 0.0)


@pytest.fixture
def clock():
    with freeze_time(START, tick=False) as frozen:
        yield frozen


@pytest.fixture
def ann():
    return UserFactory(full_name="Ann Lee")


@pytest.fixture
def x_account(ann):
    return SocialAccountFactory(user=ann, network="x", refresh_token="", handle="annlee")


@pytest.fixture
def li_account(ann):
    return SocialAccountFactory(user=ann, network="linkedin", refresh_token="")


@pytest.fixture
def item():
    return published_item(url="https://example.com/story")


@pytest.fixture
def text_item():
    return published_item(url="")


@pytest.fixture
def net():
    return FakeNetwork()


def run(share, adapter):
    outcome = share_post(share_id=share.pk, adapter=adapter)
    share.refresh_from_db()
    return outcome


def posted_ids(network: str) -> list[str]:
    return list(Share.objects.filter(network=network, status="posted").values_list("remote_id", flat=True))


# --------------------------------------------------------------------------- plain outcomes


def test_posted_records_its_own_post(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    outcome = run(share, FakeX(net))
    [(post, text)] = net.posts
    assert outcome == posting.PostOutcome("posted")
    assert (share.status, share.remote_id, share.remote_url) == ("posted", post.remote_id, post.url)
    assert (share.attempts, share.error_code, share.error_message) == (1, "", "")
    assert text == share.final_text and share.tracked_url in text
    assert share.first_attempt_at == timezone.now()


def test_transient_error_is_requeued_with_the_backoff_delay(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.down = True
    outcome = run(share, FakeX(net))
    assert outcome == posting.PostOutcome("queued", retry_in=30.0)
    assert share.status == "queued" and share.attempts == 1 and share.remote_id == ""
    assert share.next_attempt_at == timezone.now() + timedelta(seconds=30)
    assert share.unavailable_since == timezone.now()
    assert share.error_message == "Retrying: X is having trouble right now."
    assert breaker_state("x")["state"] == "closed" and breaker_state("x")["failures"] == 1
    clock.tick(30)
    assert run(share, FakeX(net)).retry_in == 60.0  # doubling
    assert share.attempts == 2 and share.unavailable_since == timezone.now() - timedelta(seconds=30)
    net.down = False
    clock.tick(60)
    assert run(share, FakeX(net)).status == "posted"
    assert share.attempts == 3 and share.remote_id == net.posts[0][0].remote_id and len(net.posts) == 1
    assert breaker_state("x") == {"state": "closed", "waiting": False}  # a success forgets the failures


def test_a_rate_limit_waits_for_the_reset_and_is_not_an_outage(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [TransientError("X's rate limit has been reached.", status=429, retry_after=900.0)]
    outcome = run(share, FakeX(net))
    assert outcome == posting.PostOutcome("queued", retry_in=900.0)
    assert share.attempts == 1 and share.unavailable_since is None
    assert breaker_state("x") == {"state": "closed", "waiting": False}


def test_retries_span_the_window_then_the_share_fails_with_one_message(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.down = True
    tries, elapsed = [], 0.0
    while True:
        tries.append(elapsed)
        outcome = run(share, FakeX(net))
        if outcome.retry_in is None:
            break
        clock.tick(outcome.retry_in)
        elapsed += outcome.retry_in
    assert tries == [0, 30, 90, 210, 450, 930, 1530, 2130, 2730, 3330, 3930]
    assert retry_schedule() == [30, 60, 120, 240, 480, 600, 600, 600, 600, 600]  # the 10 waits ≥ 60 min
    assert outcome == posting.PostOutcome("failed")
    assert share.status == "failed" and share.error_code == "unavailable" and share.remote_id == ""
    assert share.error_message == "X was unavailable for over an hour; press Retry to try again."
    # Every try reached the network (each one after the breaker opened was its probe).
    assert share.attempts == 11 and net.calls["publish"] == 11 and net.posts == []
    assert Notification.objects.filter(user=ann, kind="share_failed").count() == 1


@pytest.mark.parametrize(("minutes", "words", "tries"), [(90, "over 90 minutes", 14), (120, "over 2 hours", 17)])
def test_the_retry_window_is_a_setting(clock, settings, ann, x_account, item, net, minutes, words, tries):
    settings.SHARE_RETRY_WINDOW_MINUTES = minutes
    share = make_share(ann, x_account, item)
    net.down = True
    while (outcome := run(share, FakeX(net))).retry_in is not None:
        clock.tick(outcome.retry_in)
    assert share.error_message == f"X was unavailable for {words}; press Retry to try again."
    assert share.attempts == tries == len(retry_schedule()) + 1
    assert timezone.now() - share.unavailable_since >= timedelta(minutes=minutes)


def test_config_error_fails_the_share_and_emails_admins(clock, settings, ann, x_account, item, net):
    settings.ADMINS = [("Ops", "ops@example.com")]
    share = make_share(ann, x_account, item)
    net.publish_script = [ConfigError("X refused Chorus's app.", status=402, network="x")]
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert (share.status, share.error_code, share.attempts, share.remote_id) == ("failed", "config", 1, "")
    assert share.error_message == "X sharing is misconfigured; your admins have been told."
    [alert] = [m for m in mail.outbox if m.to == ["ops@example.com"]]
    assert alert.subject.endswith("Chorus: X sharing is misconfigured")
    assert net.posts == [] and breaker_state("x") == {"state": "closed", "waiting": False}


def test_many_shares_failing_on_one_misconfiguration_email_the_admins_once(
    clock, settings, redis_url, ann, x_account, item, net
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    shares = [make_share(ann, x_account, item) for _ in range(3)]
    net.publish_script = [ConfigError("X refused Chorus's app.", status=402, network="x") for _ in shares]
    for share in shares:
        assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert len([m for m in mail.outbox if m.to == ["ops@example.com"]]) == 1


def test_auth_error_marks_the_account_and_fails_the_share(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [AuthError("Your X connection is no longer valid.", status=401, network="x")]
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert (share.status, share.error_code, share.attempts) == ("failed", "auth", 1)
    assert share.error_message == "Your X connection is no longer valid. Reconnect it, then press Retry."
    assert SocialAccount.objects.get(pk=x_account.pk).status == "reconnect"
    assert set(Notification.objects.filter(user=ann).values_list("kind", flat=True)) == {"reconnect", "share_failed"}
    assert net.posts == []


def test_a_rejection_fails_with_the_providers_reason(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [RejectedError("X says this post is too long.", reason="too_long", network="x")]
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert (share.status, share.error_code, share.error_message) == ("failed", "too_long", "X says this post is too long.")


def test_no_account_fails_without_calling(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    Share.objects.filter(pk=share.pk).update(account=None)
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert share.error_code == "no_account" and net.calls["publish"] == 0


def test_a_full_budget_waits_without_using_an_attempt(clock, ann, x_account, item, net):
    budget = PostBudget(key="fake:user", limit=1, reason="X allows 1 post per 15 minutes per person",
                        window=timedelta(minutes=15), per_account=True)
    first, second = make_share(ann, x_account, item), make_share(ann, x_account, item)
    assert run(first, FakeX(net, budgets=(budget,))).status == "posted"
    outcome = run(second, FakeX(net, budgets=(budget,)))
    assert outcome.status == "queued" and outcome.retry_in == pytest.approx(900, abs=1)
    assert second.attempts == 0 and second.error_message == "Waiting: X allows 1 post per 15 minutes per person."
    assert net.calls["publish"] == 1


# --------------------------------------------------------------------------- the circuit breaker


def open_breaker(network: str) -> None:
    for _ in range(5):
        breaker_failure(network)
    assert breaker_state(network)["state"] == "open"


def test_consecutive_failures_open_the_breaker_and_later_shares_wait_without_calling(
    clock, ann, x_account, item, net
):
    net.down = True
    failing = [make_share(ann, x_account, item) for _ in range(5)]
    for share in failing:
        assert run(share, FakeX(net)).retry_in == 30.0
    assert breaker_state("x")["state"] == "open" and net.calls["publish"] == 5
    held = [make_share(ann, x_account, item) for _ in range(3)]
    outcomes = [run(share, FakeX(net)) for share in held]
    # Held: queued again at spaced release times, no call, no attempt used.
    assert [o.retry_in for o in outcomes] == [30.0, 31.0, 32.0]
    for share in held:
        assert (share.status, share.attempts, share.remote_id) == ("queued", 0, "")
        assert share.error_message == "Waiting: X is unavailable; Chorus will try again automatically."
        assert share.unavailable_since == timezone.now()
    assert net.calls["publish"] == 5


def test_a_successful_probe_closes_the_breaker_and_the_held_shares_drain_one_by_one(
    clock, ann, x_account, item, net
):
    open_breaker("x")
    shares = [make_share(ann, x_account, item) for _ in range(3)]
    assert [run(s, FakeX(net)).retry_in for s in shares] == [30.0, 31.0, 32.0]
    assert net.calls["publish"] == 0
    clock.tick(30)
    assert run(shares[0], FakeX(net)).status == "posted"  # the probe
    assert breaker_state("x") == {"state": "closed", "waiting": False}
    for share in shares[1:]:
        clock.tick(1)
        assert run(share, FakeX(net)).status == "posted"
    assert [s.attempts for s in shares] == [1, 1, 1]
    texts = net.texts()
    assert sorted(posted_ids("x")) == sorted(texts) and len(texts) == 3
    for share in shares:
        assert texts[share.remote_id] == share.final_text


def test_a_failed_probe_reopens_the_breaker_for_longer(clock, ann, x_account, item, net):
    open_breaker("x")
    probe, later = make_share(ann, x_account, item), make_share(ann, x_account, item)
    clock.tick(30)
    net.down = True
    outcome = run(probe, FakeX(net))
    assert outcome.status == "queued" and outcome.retry_in == 30.0 and probe.attempts == 1
    state = breaker_state("x")
    assert state["state"] == "open" and state["cooldown"] == 60.0
    assert run(later, FakeX(net)).retry_in == 60.0  # held for the longer cool-down
    assert later.attempts == 0 and net.calls["publish"] == 1


def test_a_share_held_for_the_whole_window_fails_with_the_message(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    Share.objects.filter(pk=share.pk).update(unavailable_since=timezone.now() - timedelta(minutes=60))
    open_breaker("x")
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert (share.status, share.error_code, share.attempts) == ("failed", "unavailable", 0)
    assert share.error_message == "X was unavailable for over an hour; press Retry to try again."
    assert net.calls["publish"] == 0


def test_an_ambiguous_share_is_never_failed_by_waiting(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    Share.objects.filter(pk=share.pk).update(
        unavailable_since=timezone.now() - timedelta(minutes=60), ambiguous_at=timezone.now() - timedelta(minutes=61),
        attempts=4,
    )
    open_breaker("x")
    assert run(share, FakeX(net)) == posting.PostOutcome("unconfirmed")
    assert (share.status, share.error_code, share.attempts) == ("unconfirmed", "unconfirmed", 4)
    assert share.error_message == (
        "X didn't answer when we posted and then stayed unavailable, so we can't tell whether your post went out."
    )


def test_an_ambiguous_linkedin_share_past_its_window_is_unconfirmed_even_while_the_breaker_is_open(
    clock, ann, li_account, item, net
):
    share = make_share(ann, li_account, item)
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now() - timedelta(minutes=9, seconds=1))
    open_breaker("linkedin")
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("unconfirmed")
    assert share.error_message == "LinkedIn didn't answer when we posted, and it's too late to check safely."
    assert net.calls["publish"] == 0


def test_an_ambiguous_linkedin_share_re_posts_before_its_window_closes_even_through_an_open_breaker(
    clock, settings, ann, li_account, item, net
):
    settings.SHARE_BREAKER_COOLDOWN_SECONDS = 600.0
    share = make_share(ann, li_account, item)
    net.down = True
    assert run(share, FakeLinkedIn(net)).retry_in == 30.0  # a 5xx to the create call: ambiguous
    open_breaker("linkedin")
    clock.tick(30)
    # Held, but only until a minute before its 9-minute duplicate window closes.
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("queued", retry_in=450.0)
    assert share.attempts == 1 and net.calls["publish"] == 1
    net.down = False
    clock.tick(450)
    assert breaker_state("linkedin")["waiting"]
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("posted")  # its last chance, taken
    assert share.remote_id == net.posts[0][0].remote_id and len(net.posts) == 1 and share.attempts == 2
    assert breaker_state("linkedin") == {"state": "closed", "waiting": False}


def test_retry_starts_a_fresh_set_of_attempts(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.down = True
    while run(share, FakeX(net)).retry_in is not None:
        clock.tick(share.next_attempt_at - timezone.now())
    assert share.status == "failed" and share.attempts == 11
    first = share.first_attempt_at
    assert share_reset_attempts(share_id=share.pk, user_id=ann.pk)
    share.refresh_from_db()
    assert (share.status, share.attempts, share.unavailable_since, share.error_code) == ("queued", 0, None, "")
    assert share.first_attempt_at == first  # kept: text-only adoption counts from the very first try
    assert not share_reset_attempts(share_id=share.pk)  # only failed shares
    net.down = False
    clock.tick(600)  # the breaker's cool-down is long over
    assert run(share, FakeX(net)).status == "posted" and share.attempts == 1


def test_share_retry_resets_what_posting_needs(clock, ann, x_account, item, net, django_capture_on_commit_callbacks):
    """The Retry button (``sharing.share_retry``) must start a fresh set of attempts the way
    ``share_reset_attempts`` does: attempts 0, ``unavailable_since`` cleared, and an
    ambiguous attempt still reconciled (``ambiguous_at`` kept)."""
    from advocacy.services.sharing import share_retry

    share = make_share(ann, x_account, item)
    ambiguous = timezone.now() - timedelta(hours=2)
    Share.objects.filter(pk=share.pk).update(
        status="failed", attempts=11, unavailable_since=timezone.now() - timedelta(hours=1), ambiguous_at=ambiguous,
        error_code="unavailable", error_message="X was unavailable for over an hour; press Retry to try again.",
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert share_retry(user=ann, share=share)
    share.refresh_from_db()
    assert (share.status, share.attempts, share.unavailable_since) == ("queued", 0, None)
    assert share.ambiguous_at == ambiguous


# --------------------------------------------------------------------------- ambiguous attempts


def test_x_accepted_then_dropped_is_found_and_not_reposted(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [ACCEPT_THEN_DROP]
    assert run(share, FakeX(net)) == posting.PostOutcome("posted")
    [(post, _)] = net.posts
    assert share.remote_id == post.remote_id and share.ambiguous_at == timezone.now()
    assert (net.calls["publish"], net.calls["lookup"], share.attempts) == (1, 1, 1)


def test_x_dropped_before_it_landed_is_posted_once_after_looking(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [DROP]
    outcome = run(share, FakeX(net))
    assert outcome.status == "queued" and outcome.retry_in == 30.0 and share.ambiguous_at == timezone.now()
    clock.tick(30)
    assert run(share, FakeX(net)).status == "posted"
    assert len(net.posts) == 1 and share.remote_id == net.posts[0][0].remote_id
    assert (net.calls["publish"], net.calls["lookup"]) == (2, 2)  # looked after the drop and before re-posting


def test_x_lookup_during_an_outage_waits_like_any_outage(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [DROP]
    net.lookup_script = [TransientError("X is having trouble right now.", status=503, network="x")] * 2
    assert run(share, FakeX(net)) == posting.PostOutcome("queued", retry_in=30.0)  # the lookup after the drop failed
    clock.tick(30)
    assert run(share, FakeX(net)) == posting.PostOutcome("queued", retry_in=60.0)  # so did the one before re-posting
    assert net.calls["publish"] == 1 and share.attempts == 2 and breaker_state("x")["failures"] == 3
    clock.tick(60)
    assert run(share, FakeX(net)).status == "posted" and len(net.posts) == 1


def test_x_lookup_refused_for_a_dead_connection_fails_and_keeps_reconciling(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now(), first_attempt_at=timezone.now())
    net.lookup_script = [AuthError("Your X connection is no longer valid.", status=401, network="x")]
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")
    assert (share.error_code, share.ambiguous_at) == ("auth", timezone.now())
    assert SocialAccount.objects.get(pk=x_account.pk).status == "reconnect" and net.calls["publish"] == 0


def test_linkedin_ambiguous_then_duplicate_naming_the_post_is_posted_with_it(clock, ann, li_account, item, net):
    share = make_share(ann, li_account, item)
    net.publish_script = [ACCEPT_THEN_DROP]
    assert run(share, FakeLinkedIn(net)).status == "queued"
    clock.tick(30)
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("posted")
    [(post, _)] = net.posts
    assert (share.remote_id, share.remote_url) == (post.remote_id, post.url)
    assert net.calls["publish"] == 2


def test_linkedin_ambiguous_then_duplicate_without_the_post_id_asks_the_employee(clock, ann, li_account, item, net):
    share = make_share(ann, li_account, item)
    net.publish_script = [ACCEPT_THEN_DROP]
    net.names_duplicates = False
    run(share, FakeLinkedIn(net))
    clock.tick(30)
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("unconfirmed")
    assert share.remote_id == "" and share.error_message == (
        "LinkedIn says this is already on your profile but didn't say which post it is. Please check your profile."
    )


def test_linkedin_5xx_on_create_is_ambiguous_counts_for_the_breaker_and_waits(clock, ann, li_account, item, net):
    share = make_share(ann, li_account, item)
    net.down = True
    outcome = run(share, FakeLinkedIn(net))
    assert outcome == posting.PostOutcome("queued", retry_in=30.0)
    assert share.ambiguous_at == timezone.now() and share.unavailable_since == timezone.now()
    assert breaker_state("linkedin")["failures"] == 1
    net.down = False
    clock.tick(30)
    assert run(share, FakeLinkedIn(net)).status == "posted"  # within the window: re-posting is safe
    assert len(net.posts) == 1


def test_linkedin_ambiguous_past_the_window_is_unconfirmed(clock, ann, li_account, item, net):
    share = make_share(ann, li_account, item)
    net.down = True
    run(share, FakeLinkedIn(net))
    clock.tick(9 * 60 + 1)
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("unconfirmed")
    assert net.calls["publish"] == 1 and share.remote_id == ""


# --------------------------------------------------------------------------- duplicate answers


def test_x_first_attempt_duplicate_found_by_our_link_is_posted(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    landed = net.store(share.final_text)  # e.g. a worker died after X took it
    assert run(share, FakeX(net)) == posting.PostOutcome("posted")
    assert share.remote_id == landed.remote_id and len(net.posts) == 1


def test_x_first_attempt_duplicate_not_found_asks_the_employee(clock, ann, x_account, item, net):
    share = make_share(ann, x_account, item)
    net.publish_script = [RejectedError("X says this post is a duplicate.", duplicate=True, network="x")]
    assert run(share, FakeX(net)) == posting.PostOutcome("unconfirmed")
    assert share.remote_id == "" and share.error_message == "X says this was already posted, but we couldn't find the post."


def test_linkedin_first_attempt_duplicate_with_a_link_asks_the_employee(clock, ann, li_account, item, net):
    share = make_share(ann, li_account, item)
    net.store(share.final_text)
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("unconfirmed")
    assert share.remote_id == ""
    assert share.error_message == "LinkedIn says you already posted this text. Please check your profile."


@pytest.mark.parametrize("adapter", [FakeX, FakeLinkedIn])
def test_text_only_shared_twice_the_second_fails_with_the_duplicate_text_message(
    clock, ann, x_account, li_account, text_item, net, adapter
):
    account = x_account if adapter is FakeX else li_account
    first = make_share(ann, account, text_item, text="Big news today")
    second = make_share(ann, account, text_item, text="Big news today")
    assert run(first, adapter(net)).status == "posted"
    clock.tick(5)
    assert run(second, adapter(net)) == posting.PostOutcome("failed")
    assert (second.status, second.error_code, second.error_message) == ("failed", "duplicate_text", DUPLICATE_TEXT)
    assert second.remote_id == "" and len(net.posts) == 1 and net.calls["lookup"] == 0
    assert DUPLICATE_TEXT == "You already posted this exact text — change a few words and share again."


@pytest.mark.parametrize("adapter", [FakeX, FakeLinkedIn])
def test_text_only_ambiguous_then_duplicate_of_an_earlier_shares_post_fails(
    clock, ann, x_account, li_account, text_item, net, adapter
):
    account = x_account if adapter is FakeX else li_account
    first = make_share(ann, account, text_item, text="Big news today")
    second = make_share(ann, account, text_item, text="Big news today")
    assert run(first, adapter(net)).status == "posted"
    net.publish_script = [DROP]  # the second never reached the network
    assert run(second, adapter(net)).status == "queued"
    clock.tick(30)
    assert run(second, adapter(net)) == posting.PostOutcome("failed")
    assert (second.error_code, second.remote_id) == ("duplicate_text", "")
    assert posted_ids(account.network) == [first.remote_id] and len(net.posts) == 1


def test_text_only_x_ambiguous_adopts_its_own_post_made_after_its_first_attempt(clock, ann, x_account, text_item, net):
    share = make_share(ann, x_account, text_item, text="Big news today")
    net.publish_script = [ACCEPT_THEN_DROP]
    assert run(share, FakeX(net)) == posting.PostOutcome("posted")
    assert share.remote_id == net.posts[0][0].remote_id


def test_text_only_x_never_adopts_a_post_older_than_its_first_attempt(clock, ann, x_account, text_item, net):
    """The person posted the same words by hand a minute earlier: not this share's post."""
    share = make_share(ann, x_account, text_item, text="Big news today")
    by_hand = net.store(share.final_text, at=timezone.now() - timedelta(minutes=1))
    net.publish_script = [DROP]
    run(share, FakeX(net))
    clock.tick(30)
    assert run(share, FakeX(net)) == posting.PostOutcome("failed")  # X: duplicate of the older post
    assert (share.error_code, share.remote_id) == ("duplicate_text", "")
    assert [p.remote_id for p, _ in net.posts] == [by_hand.remote_id]


def test_text_only_x_duplicate_with_no_matching_post_at_all_asks_the_employee(clock, ann, x_account, text_item, net):
    share = make_share(ann, x_account, text_item, text="Big news today")
    net.publish_script = [DROP, RejectedError("X says this post is a duplicate.", duplicate=True, network="x")]
    run(share, FakeX(net))
    clock.tick(30)
    assert run(share, FakeX(net)) == posting.PostOutcome("unconfirmed")
    assert share.error_message == "X says this was already posted, but we couldn't find the post."


def test_link_share_linkedin_duplicate_of_another_shares_post_is_not_adopted(clock, ann, li_account, item, net):
    share, other = make_share(ann, li_account, item), make_share(ann, li_account, item)
    Share.objects.filter(pk=other.pk).update(status="posted", remote_id="urn:li:share:1")
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now())
    net.publish_script = [RejectedError("duplicate", duplicate=True, duplicate_of="urn:li:share:1", network="linkedin")]
    assert run(share, FakeLinkedIn(net)) == posting.PostOutcome("unconfirmed")
    assert share.remote_id == "" and share.error_message == (
        "LinkedIn says this was already posted, but we couldn't find the post."
    )


# --------------------------------------------------------------------------- one post, one share


def test_the_database_refuses_two_shares_with_one_post(ann, x_account, li_account, item):
    a, b = make_share(ann, x_account, item), make_share(ann, x_account, item)
    Share.objects.filter(pk=a.pk).update(remote_id="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.filter(pk=b.pk).update(remote_id="123")
    c = make_share(ann, li_account, item)
    Share.objects.filter(pk=c.pk).update(remote_id="123")  # another network: another post
    Share.objects.filter(pk__in=[a.pk, b.pk]).update(remote_id="")  # many shares without a post: fine


def test_adopting_a_post_another_share_recorded_meanwhile_does_not_adopt(clock, ann, x_account, item, net,
                                                                        monkeypatch):
    share, other = make_share(ann, x_account, item), make_share(ann, x_account, item)
    landed = net.store(share.final_text)
    Share.objects.filter(pk=share.pk).update(ambiguous_at=timezone.now(), first_attempt_at=timezone.now())
    real = posting._may_be_ours

    def racing(s, post):  # the other share records the post between the lookup and the adoption
        Share.objects.filter(pk=other.pk).update(status="posted", remote_id=post.remote_id)
        return real(s, post)

    monkeypatch.setattr(posting, "_may_be_ours", racing)
    net.publish_script = [DROP]
    outcome = run(share, FakeX(net))
    assert outcome.status == "queued" and share.remote_id == ""  # not adopted: posted again later
    assert Share.objects.get(pk=other.pk).remote_id == landed.remote_id


def test_our_own_new_post_wins_over_a_share_that_adopted_it(clock, ann, x_account, item, net,
                                                           django_capture_on_commit_callbacks):
    share, adopter = make_share(ann, x_account, item), make_share(ann, x_account, item)
    Share.objects.filter(pk=adopter.pk).update(status="posted", remote_id="post-77", ambiguous_at=None,
                                               posting_started_at=timezone.now())
    net.fixed_ids = ["post-77"]
    with django_capture_on_commit_callbacks(execute=False) as dispatched:
        assert run(share, FakeX(net)) == posting.PostOutcome("posted")
    assert share.remote_id == "post-77"
    adopter.refresh_from_db()
    assert (adopter.status, adopter.remote_id, adopter.ambiguous_at) == ("queued", "", timezone.now())
    # It is sent to reconcile its own attempt again (other after-commit work, e.g. metrics, aside).
    assert [cb.__qualname__ for cb in dispatched if cb.__qualname__.startswith("enqueue.")] == [
        "enqueue.<locals>._send"
    ]


# --------------------------------------------------------------------------- the employee confirms


def test_share_confirm_landed_and_not_landed(clock, ann, li_account, item, net, django_capture_on_commit_callbacks):
    from advocacy.services.sharing import share_confirm

    landed, missing = make_share(ann, li_account, item), make_share(ann, li_account, item)
    for share in (landed, missing):
        Share.objects.filter(pk=share.pk).update(status="unconfirmed", error_code="unconfirmed", attempts=7,
                                                 ambiguous_at=timezone.now() - timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=False):
        assert share_confirm(user=ann, share=landed, landed=True, post_url="https://www.linkedin.com/feed/update/x/")
        assert share_confirm(user=ann, share=missing, landed=False)
    landed.refresh_from_db()
    missing.refresh_from_db()
    assert (landed.status, landed.remote_id, landed.remote_url) == (
        "posted", "", "https://www.linkedin.com/feed/update/x/"
    )
    assert (missing.status, missing.ambiguous_at, missing.attempts) == ("queued", None, 0)  # a fresh set
    assert run(missing, FakeLinkedIn(net)).status == "posted"
    assert missing.remote_id == net.posts[0][0].remote_id and len(net.posts) == 1


# --------------------------------------------------------------------------- the stale sweep


def test_the_sweep_leaves_waiting_shares_alone_and_spaces_out_lost_ones(
    clock, ann, x_account, li_account, item, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(sweeps, "share_dispatch",
                        lambda share_id, dispatch_id, countdown=None: sent.append((share_id, countdown or 0)))
    old = timezone.now() - timedelta(minutes=10)
    lost = [make_share(ann, x_account, item) for _ in range(3)]
    waiting = make_share(ann, x_account, item)
    just_due = make_share(ann, x_account, item)
    held = make_share(ann, li_account, item)
    Share.objects.filter(pk__in=[s.pk for s in lost]).update(enqueued_at=old, next_attempt_at=old)
    Share.objects.filter(pk=waiting.pk).update(enqueued_at=old, next_attempt_at=timezone.now() + timedelta(minutes=5))
    Share.objects.filter(pk=just_due.pk).update(enqueued_at=old, next_attempt_at=timezone.now() - timedelta(minutes=1))
    Share.objects.filter(pk=held.pk).update(enqueued_at=old, next_attempt_at=old)
    open_breaker("linkedin")
    with django_capture_on_commit_callbacks(execute=True):
        assert shares_sweep_stale() == {"redispatched": 3, "stuck": 0}
    assert sorted(sent) == sorted([(lost[0].pk, 0), (lost[1].pk, 1.0), (lost[2].pk, 2.0)])


def test_the_sweep_keeps_the_first_ambiguous_attempt_of_a_dead_worker(clock, ann, li_account, item,
                                                                      django_capture_on_commit_callbacks):
    share = make_share(ann, li_account, item)
    first = timezone.now() - timedelta(minutes=8)
    Share.objects.filter(pk=share.pk).update(status="posting", ambiguous_at=first,
                                             posting_started_at=timezone.now() - timedelta(minutes=7))
    with django_capture_on_commit_callbacks(execute=False):
        assert shares_sweep_stale()["stuck"] == 1
    share.refresh_from_db()
    assert share.status == "queued" and share.ambiguous_at == first
