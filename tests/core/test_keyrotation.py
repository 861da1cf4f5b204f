"""Key rotation re-encrypts every encrypted value of every kind (core.keyrotation)."""

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.models import SocialAccount
from core.crypto import encrypt
from core.keyrotation import Undecryptable, encrypted_columns, encrypted_values_rotate
from tests.core.keyrotation_support import new_key, seed_every_kind
from tests.factories import SocialAccountFactory
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

# The encrypted fields there are today. Discovery must find at least these (a new one is
# found too: test_seeded_values_cover_every_encrypted_column then asks for a seeded value).
KNOWN = {
    "advocacy.SocialAccount.access_token",
    "advocacy.SocialAccount.refresh_token",
    "identity.SsoSettings.oidc_client_secret",
    "identity.SsoSettings.saml_sp_private_key",
    "notifications.TeamSlackWebhook.url",  # the field comes from an abstract parent
    "notifications.TeamsWebhook.url",
    "notifications.PushSubscription.auth",
    "webhooks.WebhookEndpoint.secret",
    "webhooks.WebhookEndpoint.previous_secret",
}


@pytest.fixture
def old_then_new(settings):
    """Values stored under an old key, then the rotation's first step: the new key first."""
    old, new = new_key(), new_key()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    seeded = seed_every_kind()
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    return seeded, old, new


def raw_access_token(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM advocacy_socialaccount WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def per_column(report, attribute):
    return {c.label: getattr(c, attribute) for c in report.columns}


def test_discovery_finds_every_known_encrypted_field_once():
    labels = [c.label for c in encrypted_columns()]
    assert KNOWN <= set(labels)
    assert len(labels) == len(set(labels))


def test_seeded_values_cover_every_encrypted_column(old_then_new):
    seeded, _, _ = old_then_new
    missing = {c.label for c in encrypted_columns()} - {s.label for s in seeded}
    assert not missing, f"seed a value for {sorted(missing)} in tests/core/keyrotation_support.py"


def test_rotation_re_encrypts_every_kind_and_the_old_key_can_go(old_then_new, settings):
    seeded, old, new = old_then_new
    expected = {}
    for s in seeded:
        expected[s.label] = expected.get(s.label, 0) + 1

    before = encrypted_values_rotate(dry_run=True)
    assert {k: v for k, v in per_column(before, "old").items() if v} == expected
    assert before.rotated == 0 and not before.undecryptable
    assert all(Fernet(old.encode()).decrypt(s.raw().encode()) for s in seeded)  # the dry run changed nothing

    report = encrypted_values_rotate()
    assert {k: v for k, v in per_column(report, "rotated").items() if v} == expected
    assert report.changed == 0 and not report.undecryptable

    after = encrypted_values_rotate(dry_run=True)
    assert after.old == 0
    assert {k: v for k, v in per_column(after, "current").items() if v} == expected

    settings.TOKEN_ENCRYPTION_KEYS = [new]  # the old key is dropped
    for s in seeded:
        assert s.loaded() == s.plaintext, s.label
        assert Fernet(new.encode()).decrypt(s.raw().encode()).decode() == s.plaintext, s.label


def test_a_second_run_changes_nothing(old_then_new):
    seeded, _, _ = old_then_new
    encrypted_values_rotate()
    stored = [s.raw() for s in seeded]
    again = encrypted_values_rotate()
    assert again.old == again.rotated == 0
    assert [s.raw() for s in seeded] == stored


def test_an_interrupted_run_keeps_its_committed_batches_and_a_rerun_finishes(settings):
    old, new = new_key(), new_key()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    accounts = [SocialAccountFactory(access_token=f"token-{n}", refresh_token="") for n in range(5)]
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]

    class Interrupted(Exception):
        pass

    def stop_after_two_batches(model, rows, seen=[]):  # noqa: B006 - counts batches across calls
        if model is SocialAccount:
            seen.append(rows)
            if len(seen) == 2:
                raise Interrupted

    with pytest.raises(Interrupted):
        encrypted_values_rotate(batch_size=2, on_batch=stop_after_two_batches)
    status = encrypted_values_rotate(dry_run=True)
    assert per_column(status, "current")["advocacy.SocialAccount.access_token"] == 4  # two batches committed
    assert per_column(status, "old")["advocacy.SocialAccount.access_token"] == 1

    committed = [raw_access_token(a.pk) for a in accounts[:4]]
    report = encrypted_values_rotate(batch_size=2)
    assert per_column(report, "rotated")["advocacy.SocialAccount.access_token"] == 1
    assert per_column(report, "current")["advocacy.SocialAccount.access_token"] == 4
    assert [raw_access_token(a.pk) for a in accounts[:4]] == committed  # not re-encrypted again
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert [SocialAccount.objects.get(pk=a.pk).access_token for a in accounts] == [f"token-{n}" for n in range(5)]


def test_a_value_no_key_decrypts_is_reported_and_left_as_it_is(old_then_new, settings):
    seeded, _, new = old_then_new
    lost = seeded[0]  # a social account's access token, stored under a key nobody has any more
    foreign = Fernet(new_key().encode()).encrypt(b"lost-secret").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE advocacy_socialaccount SET access_token = %s WHERE id = %s", [foreign, lost.pk])

    report = encrypted_values_rotate()
    assert report.undecryptable == [Undecryptable("advocacy.SocialAccount", lost.pk, "access_token")]
    assert lost.raw() == foreign
    assert report.rotated == len(seeded) - 1  # the others went on
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert all(Fernet(new.encode()).decrypt(s.raw().encode()) for s in seeded[1:])


def test_empty_values_stay_empty(settings):
    old, new = new_key(), new_key()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    account = SocialAccountFactory(access_token="token", refresh_token="")
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    report = encrypted_values_rotate()
    assert per_column(report, "empty")["advocacy.SocialAccount.refresh_token"] >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT refresh_token FROM advocacy_socialaccount WHERE id = %s", [account.pk])
        assert cursor.fetchone()[0] == ""


def test_rotation_moves_no_timestamp_and_writes_no_audit_entry(old_then_new):
    seeded, _, _ = old_then_new
    endpoint = WebhookEndpoint.objects.get()
    entries = LogEntry.objects.count()
    report = encrypted_values_rotate()
    assert report.rotated == len(seeded)
    assert WebhookEndpoint.objects.get().updated_at == endpoint.updated_at
    assert LogEntry.objects.count() == entries


def test_rows_are_read_in_batches(settings):
    old, new = new_key(), new_key()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    SocialAccountFactory.create_batch(5, access_token="token", refresh_token="")
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    with CaptureQueriesContext(connection) as dry:
        encrypted_values_rotate(dry_run=True, batch_size=2)
    reads = [q for q in dry.captured_queries if q["sql"].startswith("SELECT") and "advocacy_socialaccount" in q["sql"]]
    assert len(reads) == 3  # 2 + 2 + 1 rows
    assert not [q for q in dry.captured_queries if q["sql"].startswith("UPDATE")]
    with CaptureQueriesContext(connection) as real:
        encrypted_values_rotate(batch_size=2)
    updates = [q for q in real.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 5  # one per value under the old key, none for the empty ones


def test_values_under_the_current_key_are_not_rewritten(settings):
    account = SocialAccountFactory(access_token="token")
    settings.TOKEN_ENCRYPTION_KEYS = [*settings.TOKEN_ENCRYPTION_KEYS, new_key()]  # an extra, older key
    raw = raw_access_token(account.pk)
    assert encrypt("token") != raw  # Fernet is randomised: "left as it is" below is meaningful
    report = encrypted_values_rotate()
    assert report.rotated == 0
    assert raw_access_token(account.pk) == raw
    assert SocialAccount.objects.get(pk=account.pk).access_token == "token"


def test_a_bad_batch_size_is_refused():
    with pytest.raises(ValueError, match="batch_size"):
        encrypted_values_rotate(batch_size=0)
