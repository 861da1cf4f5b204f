"""Writes of the notifications app. Importing this package registers every email
renderer (new content, digests, alerts) with ``deliveries``."""

from . import digests, fanout, inapp  # noqa: F401
