import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from advocacy.models import SocialAccount
from core.crypto import encrypt, key_index
from tests.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db


def raw_tokens(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM advocacy_socialaccount WHERE id = %s", [pk])
        return cursor.fetchone()


def test_tokens_are_unreadable_in_the_database():
    account = SocialAccountFactory(access_token="AQV-very-secret-access", refresh_token="rt-very-secret-refresh")
    access, refresh = raw_tokens(account.pk)
    assert "very-secret" not in access and "very-secret" not in refresh
    assert access.startswith("gAAAA") and refresh.startswith("gAAAA")  # Fernet tokens
    fresh = SocialAccount.objects.get(pk=account.pk)
    assert fresh.access_token == "AQV-very-secret-access" and fresh.refresh_token == "rt-very-secret-refresh"


def test_empty_refresh_token_stays_empty():
    account = SocialAccountFactory(refresh_token="")
    assert raw_tokens(account.pk)[1] == ""


def test_key_rotation(settings):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    account = SocialAccountFactory(access_token="secret-one", refresh_token="secret-two")
    before = raw_tokens(account.pk)
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("reencrypt_tokens")
    after = raw_tokens(account.pk)
    assert after != before
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    fresh = SocialAccount.objects.get(pk=account.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("secret-one", "secret-two")
    assert Fernet(new_key.encode()).decrypt(after[0].encode()) == b"secret-one"


def test_key_index_names_the_key_that_decrypts(settings):
    old = settings.TOKEN_ENCRYPTION_KEYS[0]
    under_old = encrypt("secret")
    new = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    assert key_index(under_old) == 1
    assert key_index(encrypt("secret")) == 0
    assert key_index(Fernet(Fernet.generate_key()).encrypt(b"secret").decode()) is None
    assert key_index("not a fernet token") is None
