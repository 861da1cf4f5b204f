"""manage.py rotate_encryption_keys (and its former name, reencrypt_tokens)."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from tests.core.keyrotation_support import new_key, seed_every_kind

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def rotated_keys(settings):
    old, new = new_key(), new_key()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    seeded = seed_every_kind()
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    return seeded, old, new


@pytest.mark.parametrize("name", ["rotate_encryption_keys", "reencrypt_tokens"])
def test_the_readme_steps(rotated_keys, settings, name):
    seeded, _, new = rotated_keys
    out, _ = run(name, "--dry-run")
    assert "advocacy.SocialAccount.access_token: 2 under an old key" in out
    assert "notifications.PushSubscription.auth: 1 under an old key" in out
    assert "identity.SsoSettings.oidc_client_secret: 1 under an old key" in out
    assert f"Dry run: {len(seeded)} value(s) still under an old key; nothing was changed." in out

    out, _ = run(name)
    assert "webhooks.WebhookEndpoint.previous_secret: 1 re-encrypted, 0 already under the current key" in out
    assert "notifications.TeamsWebhook.url: 1 re-encrypted" in out
    assert f"Re-encrypted {len(seeded)} value(s) with the current key." in out
    assert "older keys can be removed" in out

    out, _ = run(name, "--dry-run")
    assert "Dry run: 0 value(s) still under an old key" in out
    assert "advocacy.SocialAccount.refresh_token: 0 under an old key, 2 already under the current key" in out

    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert [s.loaded() for s in seeded] == [s.plaintext for s in seeded]


def test_no_secret_is_printed(rotated_keys):
    seeded, _, _ = rotated_keys
    outputs = [*run("rotate_encryption_keys", "--dry-run", "--verbosity", "2"),
               *run("rotate_encryption_keys", "--verbosity", "2")]
    for s in seeded:
        for text in outputs:
            assert s.plaintext not in text and s.raw() not in text


def test_an_undecryptable_value_is_named_and_the_rest_rotated(rotated_keys, settings):
    seeded, _, new = rotated_keys
    lost = next(s for s in seeded if s.label == "notifications.PushSubscription.auth")
    foreign = Fernet(new_key().encode()).encrypt(b"lost").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notifications_pushsubscription SET auth = %s WHERE id = %s", [foreign, lost.pk])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("rotate_encryption_keys", stdout=out, stderr=err)
    named = f"notifications.PushSubscription pk={lost.pk} field auth"
    assert named in str(failure.value) and "1 value(s) cannot be decrypted" in str(failure.value)
    assert f"{named}: no configured key decrypts it" in err.getvalue()
    assert f"Re-encrypted {len(seeded) - 1} value(s)" in out.getvalue()
    assert lost.raw() == foreign
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert [s.loaded() for s in seeded if s is not lost] == [s.plaintext for s in seeded if s is not lost]


def test_a_second_run_rewrites_nothing(rotated_keys):
    seeded, _, _ = rotated_keys
    run("rotate_encryption_keys", "--batch-size", "1")
    stored = [s.raw() for s in seeded]
    out, _ = run("rotate_encryption_keys")
    assert "Re-encrypted 0 value(s)" in out
    assert [s.raw() for s in seeded] == stored


def test_a_bad_batch_size_changes_nothing(rotated_keys):
    seeded, old, _ = rotated_keys
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("rotate_encryption_keys", "--batch-size", "0")
    assert all(Fernet(old.encode()).decrypt(s.raw().encode()) for s in seeded)
