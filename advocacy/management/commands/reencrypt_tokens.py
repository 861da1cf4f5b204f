"""The former name of ``rotate_encryption_keys`` (it now re-encrypts every encrypted value,
not only the OAuth tokens); kept so that scripts and runbooks using it go on working."""

from advocacy.management.commands.rotate_encryption_keys import Command as RotateEncryptionKeys


class Command(RotateEncryptionKeys):
    help = "Same as rotate_encryption_keys. " + RotateEncryptionKeys.help
