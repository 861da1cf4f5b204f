"""Re-encrypt every encrypted value, in every model, with the first key of TOKEN_ENCRYPTION_KEYS.

Rotation: put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old one after it), restart
every process, run this command, check ``--dry-run`` reports nothing under an old key, then
remove the old key. The fields are found from the models (``core.keyrotation``): OAuth tokens,
SSO secrets, Slack/Teams webhook URLs, push subscription secrets, webhook signing secrets and
any ``EncryptedTextField`` added later. Safe to run again, and to re-run after an interruption.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Model

from core.keyrotation import DEFAULT_BATCH_SIZE, ColumnReport, RotationReport, encrypted_values_rotate

# How many undecryptable values the final error names (all are listed on stderr above it).
NAMED_IN_ERROR = 20


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (OAuth tokens, SSO secrets, channel webhook URLs, push and "
        "webhook secrets, every EncryptedTextField) with the first key of TOKEN_ENCRYPTION_KEYS."
    )
    verbosity = 1  # set from --verbosity in handle(): progress lines at 2 and above

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true",
            help="Change nothing: count the values still under an old key (and those no key decrypts).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
            help=f"Rows read and re-encrypted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, dry_run: bool = False, batch_size: int = DEFAULT_BATCH_SIZE, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.verbosity = options.get("verbosity", 1)
        report = encrypted_values_rotate(dry_run=dry_run, batch_size=batch_size, on_batch=self._progress)
        for column in report.columns:
            self.stdout.write(self._line(column, dry_run=dry_run))
        for value in report.undecryptable:
            self.stderr.write(f"{value}: no configured key decrypts it; left as it is")
        self._summary(report)

    def _progress(self, model: type[Model], rows: int) -> None:
        if self.verbosity >= 2:
            self.stdout.write(f"  {model._meta.label}: {rows} row(s) done")

    @staticmethod
    def _line(column: ColumnReport, *, dry_run: bool) -> str:
        parts = [f"{column.old} under an old key" if dry_run else f"{column.rotated} re-encrypted"]
        parts.append(f"{column.current} already under the current key")
        if column.changed:
            parts.append(f"{column.changed} re-saved meanwhile (left as they are)")
        parts.append(f"{column.empty} empty")
        parts.append(f"{len(column.undecryptable)} cannot be decrypted")
        return f"{column.label}: " + ", ".join(parts)

    def _summary(self, report: RotationReport) -> None:
        if report.dry_run:
            self.stdout.write(f"Dry run: {report.old} value(s) still under an old key; nothing was changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Re-encrypted {report.rotated} value(s) with the current key."))
        bad = report.undecryptable
        if bad:
            named = ", ".join(str(value) for value in bad[:NAMED_IN_ERROR])
            more = f" and {len(bad) - NAMED_IN_ERROR} more" if len(bad) > NAMED_IN_ERROR else ""
            raise CommandError(
                f"{len(bad)} value(s) cannot be decrypted with any key in TOKEN_ENCRYPTION_KEYS and were left "
                f"untouched: {named}{more}. Add back the key they were stored under, or enter them again "
                "(social accounts: the owner reconnects)."
            )
        if (report.dry_run and report.old == 0) or (not report.dry_run and report.changed == 0):
            self.stdout.write("Every encrypted value is under the current key: older keys can be removed.")
