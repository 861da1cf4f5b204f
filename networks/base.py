"""The contract between Chorus and a social network: our own dataclasses and error types.

Nothing outside ``networks`` ever sees a ``requests`` response, an oauthlib token
dict or a provider's JSON. Callers get the dataclasses below and one of five error types,
each of which tells them what to do next (Sentry's identity providers and Saleor's
payment gateways work the same way):

==========================  =================================================================
``TransientError``          try again later, after ``retry_after`` seconds when known
``AmbiguousPostError``      a post *may* exist: reconcile (``find_recent_post``), never re-post
``AuthError``               the employee must reconnect the account
``RejectedError``           the provider refuses this request; retrying will not help
``ConfigError``             Chorus's own setup is wrong (credentials, API version): alert admins
==========================  =================================================================

Messages (``str(error)``) are plain sentences an employee can read. They never contain
tokens or secrets; the provider's own words, redacted, are on ``provider_message`` for
logs and admins.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .wire import Transport

DISPLAY_NAMES = {"linkedin": "LinkedIn", "x": "X"}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# --------------------------------------------------------------------------- errors


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
    how double posts happen. The caller records the share as "unconfirmed" and reconciles:
    ``find_recent_post(since=error.sent_at)`` on X; on LinkedIn, a re-post answered with
    ``RejectedError(duplicate=True)`` means the first one landed (``duplicate_of`` may name it).
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


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class NetworkConfig:
    """Everything an adapter needs to know about one network, read once from settings.

    ``auth_url`` is where the token and revoke endpoints live (LinkedIn:
    ``…/oauth/v2``; X: ``…/2/oauth2``); ``authorize_url`` is the page the browser visits.
    Tests and the sandbox build one directly; production uses ``from_settings``.
    """

    network: str
    client_id: str
    client_secret: str = field(repr=False)
    auth_url: str
    api_url: str
    web_url: str
    authorize_url: str
    scopes: tuple[str, ...]
    linkedin_version: str = ""
    analytics_enabled: bool = False
    app_bearer_token: str = field(default="", repr=False)
    timeout: tuple[float, float] = (5.0, 20.0)
    cost_post: Decimal = Decimal("0")
    cost_post_with_url: Decimal = Decimal("0")
    cost_read: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        for name in ("auth_url", "api_url", "web_url", "authorize_url"):
            url = getattr(self, name)
            object.__setattr__(self, name, url.rstrip("/"))
            check_url_allowed(url, what=f"{self.network} {name}")

    @property
    def display_name(self) -> str:
        return DISPLAY_NAMES.get(self.network, self.network)

    @classmethod
    def from_settings(cls, network: str) -> NetworkConfig:
        """Build the config for ``network`` ("linkedin" or "x") from Django settings."""
        from django.conf import settings

        timeout = tuple(float(t) for t in settings.OUTBOUND_HTTP_TIMEOUT)
        if network == "linkedin":
            auth = settings.LINKEDIN_AUTH_URL.rstrip("/")
            return cls(
                network="linkedin",
                client_id=settings.LINKEDIN_CLIENT_ID,
                client_secret=settings.LINKEDIN_CLIENT_SECRET,
                auth_url=auth,
                api_url=settings.LINKEDIN_API_URL,
                web_url=settings.LINKEDIN_WEB_URL,
                authorize_url=f"{auth}/authorization",
                scopes=tuple(settings.LINKEDIN_SCOPES),
                linkedin_version=settings.LINKEDIN_VERSION,
                analytics_enabled=settings.LINKEDIN_POST_ANALYTICS,
                timeout=timeout,  # type: ignore[arg-type]
            )
        if network == "x":
            api = settings.X_API_URL.rstrip("/")
            return cls(
                network="x",
                client_id=settings.X_CLIENT_ID,
                client_secret=settings.X_CLIENT_SECRET,
                auth_url=f"{api}/2/oauth2",
                api_url=api,
                web_url=settings.X_WEB_URL,
                authorize_url=settings.X_AUTHORIZE_URL,
                scopes=tuple(settings.X_SCOPES),
                analytics_enabled=True,
                app_bearer_token=settings.X_APP_BEARER_TOKEN,
                timeout=timeout,  # type: ignore[arg-type]
                cost_post=Decimal(str(settings.X_COST_POST)),
                cost_post_with_url=Decimal(str(settings.X_COST_POST_WITH_URL)),
                cost_read=Decimal(str(settings.X_COST_READ)),
            )
        raise ValueError(f"unknown network {network!r}")


def is_loopback_http(url: str) -> bool:
    """True for ``http://127.0.0.1…`` / ``http://localhost…``: the sandbox, never a provider."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def check_url_allowed(url: str, *, what: str) -> None:
    """Refuse anything but https, or plain http to loopback (the sandbox).

    Tokens travel on these URLs, and requests-oauthlib is only told to accept http for
    loopback hosts; a typo like ``http://api.linkedin.com`` must fail loudly instead.
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if is_loopback_http(url):
        return
    raise ConfigError(
        f"The {what} setting must be an https:// address (plain http is only allowed for the "
        "local sandbox on 127.0.0.1 or localhost)."
    )


@dataclass(frozen=True)
class TokenSet:
    """An employee's tokens. ``refresh_token``/``refresh_expires_at`` may be ``None``:
    LinkedIn only issues refresh tokens to partner apps; X rotates them on every refresh,
    so the caller must store the new one atomically or the account is lost."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what to keep in the session until the callback."""

    url: str
    state: str
    code_verifier: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Profile:
    """Who connected. ``handle`` is the @username where the network has one (LinkedIn's
    OpenID userinfo has none: empty). ``audience_size`` is followers when known."""

    remote_id: str
    handle: str
    display_name: str
    avatar_url: str
    email: str
    audience_size: int | None = None
    locale: str | None = None


@dataclass(frozen=True)
class PostRequest:
    """What to publish. Title, description and thumbnail are for LinkedIn's article card
    (LinkedIn does not scrape links posted through the API); X builds its own card.
    ``author_handle`` lets X build the post URL without another API call."""

    author_id: str
    text: str
    link_url: str | None = None
    title: str = ""
    description: str = ""
    thumbnail: bytes | None = field(default=None, repr=False)
    thumbnail_content_type: str = "image/jpeg"
    author_handle: str = ""


@dataclass(frozen=True)
class PublishedPost:
    remote_id: str
    url: str


@dataclass(frozen=True)
class PostMetrics:
    """Counts for one post. ``impressions``/``members_reached`` are ``None`` when the
    network does not give them; ``raw`` keeps what it did give, for later."""

    remote_id: str
    reactions: int = 0
    comments: int = 0
    reshares: int = 0
    impressions: int | None = None
    members_reached: int | None = None
    raw: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RateLimit:
    """One rate-limit bucket as the provider reported it on the last response."""

    limit: int
    remaining: int
    reset_at: datetime


# --------------------------------------------------------------------------- interface


class NetworkAdapter(abc.ABC):
    """One network. Instances are cheap and not shared between threads: ``get_adapter``
    builds a new one per use, and ``rate_limit``/``daily_limits``/``unavailable`` describe
    the last call made through this instance."""

    network: ClassVar[str]

    def __init__(self, config: NetworkConfig, transport: Transport | None = None) -> None:
        from .wire import Transport

        if config.network != self.network:
            raise ValueError(f"{type(self).__name__} needs a {self.network!r} config, got {config.network!r}")
        self.config = config
        self.transport = transport or Transport(config)
        # The last x-rate-limit-* bucket seen, and X's 24-hour "app"/"user" buckets.
        self.rate_limit: RateLimit | None = None
        self.daily_limits: dict[str, RateLimit] = {}
        # Ids fetch_metrics could not get, with the provider's reason (deleted, protected…).
        self.unavailable: dict[str, str] = {}

    @property
    def display_name(self) -> str:
        return self.config.display_name

    @property
    @abc.abstractmethod
    def supports_refresh(self) -> bool:
        """Whether an ordinary Chorus install gets refresh tokens from this network."""

    @abc.abstractmethod
    def authorization_request(self, *, redirect_uri: str, state: str) -> AuthorizationRequest: ...

    @abc.abstractmethod
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet: ...

    @abc.abstractmethod
    def refresh(self, *, refresh_token: str) -> TokenSet: ...

    @abc.abstractmethod
    def revoke(self, *, token: TokenSet | str) -> None:
        """Revoke the grant. A token that is already dead counts as revoked."""

    @abc.abstractmethod
    def profile(self, *, token: TokenSet | str) -> Profile: ...

    @abc.abstractmethod
    def publish(self, *, token: TokenSet | str, post: PostRequest) -> PublishedPost: ...

    @abc.abstractmethod
    def find_recent_post(
        self,
        *,
        token: TokenSet | str,
        author_id: str,
        text: str,
        link_url: str | None,
        since: datetime,
        author_handle: str = "",
    ) -> PublishedPost | None:
        """After an ``AmbiguousPostError``: the post, if it landed, else ``None``.
        ``author_handle`` builds the URL when the provider's answer does not name the author."""

    @abc.abstractmethod
    def fetch_metrics(
        self, *, remote_ids: list[str], token: TokenSet | str | None = None
    ) -> dict[str, PostMetrics]:
        """Metrics by remote id. Ids missing from the result are listed in ``unavailable``."""

    @abc.abstractmethod
    def post_url(self, remote_id: str, handle: str = "") -> str: ...

    def cost_of(self, post: PostRequest) -> Decimal:
        """What publishing ``post`` costs in US dollars (X is pay-per-use; LinkedIn is free)."""
        return Decimal("0")


def access_token_of(token: TokenSet | str) -> str:
    return token.access_token if isinstance(token, TokenSet) else token
