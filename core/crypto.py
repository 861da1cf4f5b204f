"""Encryption of secrets at rest (OAuth tokens, SSO secrets, channel webhook URLs, push and
webhook secrets: every ``EncryptedTextField``) with Fernet keys from ``TOKEN_ENCRYPTION_KEYS``.

The first key encrypts; every key decrypts, so keys can be rotated: put the new key
first, deploy, run ``manage.py rotate_encryption_keys`` (``core.keyrotation``), then drop
the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    try:
        return tuple(Fernet(k.encode()) for k in keys)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes each)."
        ) from exc


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(list(_fernets(keys)))


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.TOKEN_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty.")
    return keys


def fernet() -> MultiFernet:
    return _multifernet(_keys())


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret cannot be decrypted with the configured keys.") from exc


def key_index(ciphertext: str) -> int | None:
    """The position in ``TOKEN_ENCRYPTION_KEYS`` of the key that decrypts ``ciphertext``
    (0: the first, which encrypts; more: an older key), or None when no key does."""
    token = ciphertext.encode()
    for index, key in enumerate(_fernets(_keys())):
        try:
            key.decrypt(token)
        except InvalidToken:
            continue
        return index
    return None


def rotate(ciphertext: str) -> str:
    """Re-encrypt with the first (newest) key."""
    try:
        return fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret cannot be decrypted with the configured keys.") from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is Fernet-encrypted in the database.

    Empty strings are stored empty (nothing to hide). The Python value is always the
    plaintext; the database never sees it.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
