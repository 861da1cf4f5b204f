"""The five errors a network adapter raises; each tells the caller what to do next.

==========================  =================================================================
``TransientError``          try again later, after ``retry_after`` seconds when known
``AmbiguousPostError``      a post *may* exist: reconcile (``can_find_posts``/``duplicate_window``)
``AuthError``               the employee must reconnect the account
``RejectedError``           the provider refuses this request; retrying will not help
``ConfigError``             Chorus's own setup is wrong (credentials, API version): alert admins
==========================  =================================================================

Messages (``str(error)``) are plain sentences an employee can read. They never contain
tokens or secrets; the provider's own words, redacted, are on ``provider_message`` for
logs and admins.
"""

from __future__ import annotations

from datetime import datetime


class NetworkError(Exception):
    """Base of every error a network adapter raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | int | None = None,
        network: str = "",
        provider_message: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.network = network
        self.provider_message = provider_message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r})"


class TransientError(NetworkError):
    """Worth retrying: 5xx, 429, a connection that failed before the request was sent.

    ``retry_after`` is in seconds when the provider says (X's ``x-rate-limit-reset``,
    LinkedIn's daily reset at midnight UTC, a ``Retry-After`` header); ``None`` means
    "use your own backoff".
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class AmbiguousPostError(NetworkError):
    """``publish`` sent the request but read no answer: the post may or may not exist.

    Deliberately *not* a ``TransientError``: a task declared with
    ``autoretry_for=(TransientError,)`` must not re-post blindly, because that is exactly
    how double posts happen. The caller reconciles the way the adapter says: where
    ``can_find_posts`` (X), ``find_recent_posts(since=error.sent_at)``; otherwise (LinkedIn),
    a re-post within ``duplicate_window`` answered with ``RejectedError(duplicate=True)``
    means the first one landed (``duplicate_of`` may name it).
    """

    def __init__(self, message: str, *, sent_at: datetime, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.sent_at = sent_at


class AuthError(NetworkError):
    """The employee's connection is dead (expired, revoked, invalid): they must reconnect."""


class RejectedError(NetworkError):
    """The provider refuses this request (duplicate, too long, not permitted): don't retry.

    ``reason`` is a short machine word: ``duplicate``, ``too_long``, ``forbidden``,
    ``invalid``, ``not_found``. ``duplicate_of`` is the existing post's id when the
    provider names it (LinkedIn does, in its 422 message).
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str = "invalid",
        duplicate: bool = False,
        duplicate_of: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reason = "duplicate" if duplicate else reason
        self.duplicate = duplicate
        self.duplicate_of = duplicate_of


class ConfigError(NetworkError):
    """Chorus is set up wrongly (retired API version, refused app credentials, missing
    setting). Never retried: an administrator has to act."""
