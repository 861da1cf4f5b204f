"""Re-encrypt every stored token with the newest key in TOKEN_ENCRYPTION_KEYS.

Rotation: put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old one after it),
restart, run this command, then remove the old key.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from advocacy.models import SocialAccount
from core.crypto import DecryptionError, rotate


class Command(BaseCommand):
    help = "Re-encrypt all OAuth tokens with the first key of TOKEN_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        table = SocialAccount._meta.db_table
        done = failed = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, access_token, refresh_token FROM {table}")  # noqa: S608
            rows = cursor.fetchall()
        for pk, access, refresh in rows:
            try:
                new_access = rotate(access) if access else access
                new_refresh = rotate(refresh) if refresh else refresh
            except DecryptionError:
                failed += 1
                self.stderr.write(f"account {pk}: cannot be decrypted with any configured key")
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET access_token = %s, refresh_token = %s WHERE id = %s",  # noqa: S608
                    [new_access, new_refresh, pk],
                )
            done += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the tokens of {done} account(s)."))
        if failed:
            raise CommandError(f"{failed} account(s) could not be decrypted; their owners must reconnect.")
