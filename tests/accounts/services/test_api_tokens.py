"""accounts.services.api_tokens: making, checking and revoking personal API tokens."""

import hashlib
import json
import zipfile
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import ApiToken
from accounts.services.api_tokens import (
    LAST_USED_PRECISION,
    MAX_TOKENS_PER_USER,
    ApiTokenError,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    api_tokens_active,
    api_tokens_erase,
    api_tokens_export,
    api_tokens_for_user,
)
from accounts.services.privacy import account_delete, personal_data_export
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _make(user=None, **kwargs):
    options = {"name": "Intranet widget", "scope": "read", "expires_in_days": 30, **kwargs}
    return api_token_create(user=user or UserFactory(), **options)


def test_the_plain_token_is_returned_once_and_only_its_sha256_is_stored():
    new = _make()
    plain, token = new.plain, ApiToken.objects.get()

    assert plain.startswith(f"chorus_{token.prefix}_") and len(plain) > 50
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    secret = plain.split("_", 2)[2]
    row = json.dumps(list(ApiToken.objects.values()), default=str)
    assert secret not in row and plain not in row
    assert plain not in repr(new) and secret not in repr(new)


def test_the_digest_cannot_be_turned_back_into_the_token():
    """Only a one-way SHA-256 of 32 random bytes is kept: the token cannot be recomputed
    from the row, and a token that differs in one character does not match."""
    new = _make()
    token = ApiToken.objects.get()
    assert len(token.digest) == 64 and int(token.digest, 16) >= 0
    assert token.digest != new.plain and new.plain.split("_", 2)[2] not in token.digest
    changed = new.plain[:-1] + ("A" if new.plain[-1] != "A" else "B")
    assert api_token_authenticate(changed) is None
    assert api_token_authenticate(new.plain) == token


def test_tokens_are_unique_and_expire_when_asked():
    user = UserFactory()
    now = timezone.now()
    tokens = [_make(user, expires_in_days=days) for days in (1, 30, 365)]
    assert len({t.plain for t in tokens}) == len({t.token.prefix for t in tokens}) == 3
    for new, days in zip(tokens, (1, 30, 365), strict=True):
        assert abs(new.token.expires_at - (now + timedelta(days=days))) < timedelta(seconds=5)


@pytest.mark.parametrize(("options", "message"), [
    ({"name": "  "}, "Give the token a name"),
    ({"name": "x" * 101}, "under 100 characters"),
    ({"scope": "admin"}, "read only, or read and write"),
    ({"expires_in_days": 0}, "between 1 and 366 days"),
    ({"expires_in_days": 367}, "between 1 and 366 days"),
    ({"expires_in_days": True}, "between 1 and 366 days"),
    ({"expires_in_days": "30"}, "between 1 and 366 days"),
])
def test_bad_input_is_refused_and_makes_nothing(options, message):
    with pytest.raises(ApiTokenError, match=message):
        _make(**options)
    assert not ApiToken.objects.exists() and not LogEntry.objects.filter(
        content_type__model="apitoken").exists()


def test_a_deactivated_account_cannot_have_tokens():
    with pytest.raises(ApiTokenError, match="deactivated"):
        _make(UserFactory(is_active=False))


def test_at_most_twenty_active_tokens_revoked_and_expired_ones_do_not_count():
    user = UserFactory()
    tokens = [_make(user, name=f"t{n}") for n in range(MAX_TOKENS_PER_USER)]
    with pytest.raises(ApiTokenError, match="revoke one first"):
        _make(user)
    api_token_revoke(token=tokens[0].token)
    _make(user)
    ApiToken.objects.filter(pk=tokens[1].token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _make(user)
    assert api_tokens_active(user).count() == MAX_TOKENS_PER_USER


def test_a_token_without_an_expiry_counts_as_active_everywhere():
    new = _make()
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=None)
    assert api_tokens_active(new.token.user).count() == 1
    assert api_token_authenticate(new.plain) is not None


@pytest.mark.parametrize("plain", [
    "", "chorus_", "chorus__secret", "chorus_abc_", "nothing_like_a_token", "chorus_" + "a" * 300,
    "chorus_000000000000_wrong-secret",
])
def test_malformed_or_unknown_tokens_are_not_valid(plain):
    _make()
    assert api_token_authenticate(plain) is None


def test_a_wrong_secret_with_a_real_prefix_is_not_valid():
    new = _make()
    assert api_token_authenticate(f"chorus_{new.token.prefix}_not-the-secret") is None


def test_expired_revoked_and_deactivated_owners_tokens_are_not_valid():
    expired, revoked, inactive, good = (_make(name=n) for n in ("expired", "revoked", "inactive", "good"))
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now())
    api_token_revoke(token=revoked.token)
    inactive.token.user.is_active = False
    inactive.token.user.save()

    assert [api_token_authenticate(t.plain) for t in (expired, revoked, inactive)] == [None, None, None]
    assert api_token_authenticate(good.plain) == good.token


def test_last_used_is_written_at_most_every_five_minutes():
    start = timezone.now()
    with freeze_time(start) as clock:
        new = _make()
        assert ApiToken.objects.get().last_used_at is None
        api_token_authenticate(new.plain)
        assert ApiToken.objects.get().last_used_at == start

        clock.move_to(start + LAST_USED_PRECISION - timedelta(seconds=1))
        api_token_authenticate(new.plain)
        assert ApiToken.objects.get().last_used_at == start  # not written again

        later = start + LAST_USED_PRECISION + timedelta(seconds=1)
        clock.move_to(later)
        api_token_authenticate(new.plain)
        assert ApiToken.objects.get().last_used_at == later


def test_marking_used_writes_nothing_within_five_minutes(django_assert_num_queries):
    new = _make()
    api_token_authenticate(new.plain)
    with django_assert_num_queries(1):  # the lookup, no UPDATE
        api_token_authenticate(new.plain)


def test_revoking_is_immediate_idempotent_and_audited():
    new = _make()
    assert api_token_revoke(token=new.token) is True
    assert api_token_revoke(token=new.token) is False
    token = ApiToken.objects.get()
    assert token.revoked_at is not None and token.status() == "revoked"
    events = list(LogEntry.objects.filter(object_pk=str(token.pk), content_type__model="apitoken")
                  .values_list("additional_data__event", flat=True).order_by("pk"))
    assert events == ["api token created", "api token revoked"]


def test_the_audit_log_names_the_token_never_its_secret():
    new = _make(name="Sales dashboard")
    api_token_authenticate(new.plain)
    api_token_revoke(token=new.token)
    entries = json.dumps(list(LogEntry.objects.values()), default=str)
    assert "Sales dashboard" in entries and new.token.prefix in entries
    assert new.plain not in entries and new.plain.split("_", 2)[2] not in entries
    assert new.token.digest not in entries


def test_each_person_sees_only_their_own_tokens():
    ann, bob = UserFactory(), UserFactory()
    mine = _make(ann).token
    _make(bob)
    assert list(api_tokens_for_user(ann)) == [mine]


def test_status_says_active_expired_or_revoked():
    token = _make().token
    assert token.status() == "active"
    assert token.status(token.expires_at) == "expired"
    token.revoked_at = timezone.now()
    assert token.status() == "revoked"


def test_my_data_lists_names_and_dates_never_the_token_or_its_digest():
    user = UserFactory()
    new = _make(user, name="Intranet widget", scope="read_write")
    api_token_revoke(token=_make(user, name="Old script").token)

    rows = api_tokens_export(user)

    assert [(r["name"], r["scope"], r["status"]) for r in rows] == [
        ("Old script", "read", "revoked"), ("Intranet widget", "read_write", "active")]
    assert set(rows[0]) == {"name", "starts_with", "scope", "status", "created_at", "expires_at",
                            "last_used_at", "revoked_at"}
    export = personal_data_export(user=user, actor=user)
    with zipfile.ZipFile(export.file) as archive:
        data = json.loads(archive.read("api_tokens.json"))
        everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert {r["name"] for r in data} == {"Intranet widget", "Old script"}
    assert new.plain not in everything and new.token.digest not in everything


def test_deleting_the_account_deletes_its_tokens():
    user, other = UserFactory(), UserFactory()
    new = _make(user)
    _make(other)
    result = account_delete(user=user, actor=user)
    assert result.counts["API tokens deleted"] == 1
    assert not ApiToken.objects.filter(user=user).exists() and ApiToken.objects.count() == 1
    assert api_token_authenticate(new.plain) is None
    assert api_tokens_erase(user) == {"API tokens deleted": 0}
