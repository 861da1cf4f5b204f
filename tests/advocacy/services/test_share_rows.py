"""The share's row without the ORM's compiling (advocacy.services.share_rows): the claim
loads exactly what the ORM's select_related query loads, changes the row exactly as the
conditional UPDATE did, and still lets only one run claim a share; the field updates write
what ``QuerySet.update`` writes and fail the same way. On PostgreSQL the claim is one
statement (CI runs these on both databases)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share, SocialAccount
from advocacy.services.share_rows import share_claim_and_load, share_row_update
from content.models import ContentItem
from tests.advocacy.services.test_posting import make_shares
from tests.factories import UserFactory
from tests.support import connect_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(networks, redis_url):
    user = UserFactory(full_name="Ann Lee")
    connect_account(user, "x", networks)
    return user


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_claim_loads_what_the_orm_loads(ann, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    now = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        claimed = share_claim_and_load(share.pk, now)
    if connection.vendor == "postgresql":
        assert len(ctx.captured_queries) == 1  # the UPDATE and the load are one statement
    orm = Share.objects.select_related("item", "account", "user").get(pk=share.pk)
    assert values(claimed) == values(orm)
    assert claimed.status == "posting" and claimed.attempts == 1
    assert claimed.posting_started_at == now and claimed.first_attempt_at == now and claimed.updated_at == now
    for attr, model in (("item", ContentItem), ("account", SocialAccount), ("user", User)):
        loaded = getattr(claimed, attr)
        assert isinstance(loaded, model) and values(loaded) == values(getattr(orm, attr))
        assert not loaded._state.adding and loaded._state.db == "default"
    # Tokens come back decrypted, as the ORM gives them (they are stored encrypted).
    assert claimed.account.access_token == orm.account.access_token and claimed.account.access_token
    stored = SocialAccount.objects.filter(pk=claimed.account.pk).values_list("access_token", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM advocacy_socialaccount WHERE id = %s", [claimed.account.pk])
        assert cursor.fetchone()[0] != claimed.account.access_token
    assert list(stored) == [claimed.account.access_token]
    # Nothing more is fetched when posting reads the related rows.
    with CaptureQueriesContext(connection) as ctx:
        assert claimed.item.url and claimed.account.remote_id and claimed.user.email
    assert ctx.captured_queries == []


def test_only_one_claim_wins_and_a_lost_one_changes_nothing(ann, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    first = timezone.now()
    assert share_claim_and_load(share.pk, first) is not None
    before = values(Share.objects.get(pk=share.pk))
    assert share_claim_and_load(share.pk, first + timedelta(seconds=1)) is None
    assert values(Share.objects.get(pk=share.pk)) == before
    assert share_claim_and_load(10**9, first) is None  # no such share


def test_an_earlier_first_attempt_is_kept_by_the_claim(ann, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    earlier = timezone.now() - timedelta(minutes=7)
    Share.objects.filter(pk=share.pk).update(first_attempt_at=earlier, attempts=2)
    claimed = share_claim_and_load(share.pk, timezone.now())
    assert claimed.first_attempt_at == earlier and claimed.attempts == 3


def test_a_share_without_an_account_is_claimed_with_none(ann, django_capture_on_commit_callbacks):
    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    Share.objects.filter(pk=share.pk).update(account=None)
    claimed = share_claim_and_load(share.pk, timezone.now())
    assert claimed.account_id is None and claimed.account is None
    assert claimed.user == ann and claimed.item.pk == share.item_id


def test_a_row_update_writes_what_the_orm_writes(ann, django_capture_on_commit_callbacks):
    a, b = (make_shares(ann, django_capture_on_commit_callbacks, networks=["x"], key=k)[0] for k in "ab")
    at = timezone.now() - timedelta(seconds=3)
    fields = {"status": "failed", "error_message": "X said no — «quoted»", "error_code": "rejected",
              "next_attempt_at": at, "first_attempt_at": None, "updated_at": at}
    assert share_row_update(a.pk, fields) == 1
    Share.objects.filter(pk=b.pk).update(**fields)
    written, expected = values(Share.objects.get(pk=a.pk)), values(Share.objects.get(pk=b.pk))
    for name in (*fields, "attempts", "remote_id"):
        assert written[name] == expected[name]
    assert share_row_update(10**9, fields) == 0


def test_a_post_another_share_holds_is_refused(ann, django_capture_on_commit_callbacks):
    a, b = (make_shares(ann, django_capture_on_commit_callbacks, networks=["x"], key=k)[0] for k in "ab")
    assert share_row_update(a.pk, {"status": "posted", "remote_id": "1234"}) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        share_row_update(b.pk, {"status": "posted", "remote_id": "1234"})
    assert Share.objects.get(pk=b.pk).remote_id == ""


def test_a_row_update_with_an_expression_is_the_orms(ann, django_capture_on_commit_callbacks):
    from django.db.models import F

    [share] = make_shares(ann, django_capture_on_commit_callbacks, networks=["x"])
    assert share_row_update(share.pk, {"attempts": F("attempts") + 2, "error_code": "x"}) == 1
    share.refresh_from_db()
    assert share.attempts == 2 and share.error_code == "x"
