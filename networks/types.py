"""Our own dataclasses for what crosses the networks boundary (configuration, tokens,
profiles, posts, metrics, budgets, rate limits). Nothing outside ``networks`` sees a
provider's JSON: adapters turn it into these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings

from .errors import ConfigError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Filled as each adapter class is defined (``NetworkAdapter.__init_subclass__``), so that a
# network's name for people is written once, on its adapter, and code that has only a
# network key or a ``NetworkConfig`` (transport and OAuth errors) can still say it.
_DISPLAY_NAMES: dict[str, str] = {}


def display_name(network: str) -> str:
    """How Chorus writes ``network`` for people ("LinkedIn", "X"): its adapter's ``display_name``."""
    return _DISPLAY_NAMES.get(network, network)


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
    # The posting limits Chorus keeps to (see each adapter's ``post_budgets``).
    user_posts_per_15_min: int = 100
    app_posts_per_24_h: int = 10_000
    member_daily_posts: int = 150

    def __post_init__(self) -> None:
        for name in ("auth_url", "api_url", "web_url", "authorize_url"):
            url = getattr(self, name)
            object.__setattr__(self, name, url.rstrip("/"))
            check_url_allowed(url, what=f"{self.network} {name}")

    @property
    def display_name(self) -> str:
        return display_name(self.network)

    @classmethod
    def from_settings(cls, network: str) -> NetworkConfig:
        """Build the config for ``network`` ("linkedin" or "x") from Django settings."""
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
                member_daily_posts=settings.LINKEDIN_MEMBER_DAILY_POSTS,
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
                user_posts_per_15_min=settings.X_USER_POSTS_PER_15_MIN,
                app_posts_per_24_h=settings.X_APP_POSTS_PER_24_H,
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
    """A post on the network. ``created_at`` is the network's own time when it says (a
    lookup does; a publish answer may not)."""

    remote_id: str
    url: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class PostMetrics:
    """Counts for one post. ``impressions``/``members_reached`` are ``None`` when the
    network does not give them; ``raw`` keeps what it did give, for later. A metric the
    network refused (the adapter's ``denied_metrics``) is missing from ``raw``, and its
    field reads 0 (``None`` for impressions/members reached) without meaning zero."""

    remote_id: str
    reactions: int = 0
    comments: int = 0
    reshares: int = 0
    impressions: int | None = None
    members_reached: int | None = None
    raw: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PostBudget:
    """A limit on posting that Chorus keeps to *before* calling the network, so it never
    throttles itself into provider errors (``advocacy.services.budgets`` reserves it).

    ``key`` names the counter (``"x:user"``); with ``per_account`` every connected account
    has its own. ``window`` is a sliding window; ``None`` means a UTC calendar day, whose
    count resets at midnight UTC. ``reason`` tells the employee why their share waits.
    """

    key: str
    limit: int
    reason: str
    window: timedelta | None = None
    per_account: bool = False


@dataclass(frozen=True)
class RateLimit:
    """One rate-limit bucket as the provider reported it on the last response."""

    limit: int
    remaining: int
    reset_at: datetime


def access_token_of(token: TokenSet | str) -> str:
    return token.access_token if isinstance(token, TokenSet) else token
