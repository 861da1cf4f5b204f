"""What one share costs the database, and the bookkeeping that keeps it cheap without
weakening the claim: the first attempt recorded by the claim itself, the posted row and its
audit entry written together."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.models import Share
from advocacy.services.breaker import breaker_failure
from advocacy.services.posting import share_post
from advocacy.services.sweeps import shares_sweep_stale
from tests.advocacy.services.test_posting import make_shares, posts
from tests.factories import UserFactory
from tests.support import connect_account
from webhooks import selectors as webhook_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(networks, redis_url):
    user = UserFactory(full_name="Ann Lee")
    connect_account(user, "linkedin", networks)
    connect_account(user, "x", networks)
    return user


def share_writes(captured) -> list[str]:
    return [q["sql"] for q in captured
            if q["sql"].startswith(('UPDATE "advocacy_share"', 'INSERT INTO "advocacy_share"', 'WITH "claimed"'))]


@pytest.mark.parametrize("network", ["x", "linkedin"])
def test_a_share_is_claimed_and_recorded_in_two_writes(ann, networks, network, django_capture_on_commit_callbacks,
                                                         django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(webhook_selectors, "SUBSCRIBERS_TTL", 3600.0)
    webhook_selectors.subscribers_forget()
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=[network])
    share_post(share_id=make_shares(ann, django_capture_on_commit_callbacks, networks=[network], key="warm")[0].pk)
    # PostgreSQL: the claim (one statement, the row and what posting reads), then the posted
    # row and its audit entry in one transaction; SQLite loads the claimed row separately.
    # No webhook endpoint exists, and the process knows it: no query about webhooks.
    queries = 5 if connection.vendor == "postgresql" else 6
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(queries):
        assert share_post(share_id=share.pk).status == "posted"
    assert not [q for q in ctx.captured_queries if "webhooks_" in q["sql"]]
    claim, posted = share_writes(ctx.captured_queries)  # no third UPDATE for the first attempt
    assert "'posting'" in claim and '"first_attempt_at" = COALESCE' in claim
    assert "'posted'" in posted
    share.refresh_from_db()
    assert share.first_attempt_at is not None and share.first_attempt_at == share.posting_started_at
    assert LogEntry.objects.filter(object_pk=str(share.pk), additional_data__event="share posted").count() == 1
    assert len(posts(networks, network)) == 2


def test_a_held_share_gives_back_the_first_attempt_it_never_made(ann, networks, settings,
                                                                   django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    for _ in range(settings.SHARE_BREAKER_THRESHOLD):
        breaker_failure("x")
    assert share_post(share_id=share.pk).status == "queued"
    share.refresh_from_db()
    assert share.first_attempt_at is None and share.attempts == 0
    assert posts(networks, "x") == []


def test_a_budget_wait_gives_back_the_first_attempt(ann, networks, settings, django_capture_on_commit_callbacks):
    settings.X_USER_POSTS_PER_15_MIN = 1
    first, second = (make_shares(ann, django_capture_on_commit_callbacks, networks=["x"], key=k)[0] for k in "ab")
    assert share_post(share_id=first.pk).status == "posted"
    assert share_post(share_id=second.pk).status == "queued"
    second.refresh_from_db()
    assert second.first_attempt_at is None and second.attempts == 0


def test_an_earlier_first_attempt_is_kept(ann, networks, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    networks.faults.next("error", network="x", group="post", status=503)
    assert share_post(share_id=share.pk).status == "queued"  # X was called: the attempt is real
    share.refresh_from_db()
    first = share.first_attempt_at
    assert first is not None
    Share.objects.filter(pk=share.pk).update(next_attempt_at=None)
    assert share_post(share_id=share.pk).status == "posted"
    share.refresh_from_db()
    assert share.first_attempt_at == first and share.posting_started_at > first


def test_a_post_whose_record_fails_is_not_left_posted_without_its_audit_entry(
    ann, networks, monkeypatch, django_capture_on_commit_callbacks
):
    """The posted row and its audit entry commit together. If writing them fails after X
    accepted the post, the share stays *posting*; the stale sweep then finds the post on X
    and records it, once, with its entry."""
    from core import audit

    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    record = audit.record

    def broken(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        share_post(share_id=share.pk)
    share.refresh_from_db()
    assert share.status == "posting" and share.remote_id == ""
    assert not LogEntry.objects.filter(object_pk=str(share.pk), additional_data__event="share posted").exists()
    assert len(posts(networks, "x")) == 1

    monkeypatch.setattr(audit, "record", record)
    Share.objects.filter(pk=share.pk).update(posting_started_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert shares_sweep_stale()["stuck"] == 1
    share.refresh_from_db()
    assert share.status == "posted" and share.remote_id == posts(networks, "x")[0].id
    assert len(posts(networks, "x")) == 1  # found, not posted again
    assert LogEntry.objects.filter(object_pk=str(share.pk), additional_data__event="share posted").count() == 1
