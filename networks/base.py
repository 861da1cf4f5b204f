"""The contract between Chorus and a social network: ``NetworkAdapter``.

Nothing outside ``networks`` ever sees a ``requests`` response, an oauthlib token dict or
a provider's JSON. Adapters return our own dataclasses (``networks.types``) and raise one
of five error types (``networks.errors``), each of which tells the caller what to do next
(Sentry's identity providers and Saleor's payment gateways work the same way).
"""

from __future__ import annotations

import abc
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from .types import (
    _DISPLAY_NAMES,
    AuthorizationRequest,
    NetworkConfig,
    PostBudget,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    RateLimit,
    TokenSet,
)
from .wire import Transport

# --------------------------------------------------------------------------- interface


class NetworkAdapter(abc.ABC):
    """One network. Instances are cheap and not shared between threads: ``get_adapter``
    builds a new one per use, and ``rate_limit``/``daily_limits``/``unavailable`` describe
    the last call made through this instance.

    The class attributes are the network's policy, which callers follow instead of
    testing the network's name:

    ``display_name``
        How the network is written for people ("LinkedIn").
    ``can_find_posts``
        After an ``AmbiguousPostError``, ``find_recent_posts`` can tell whether the post
        landed, so the caller looks before it posts again.
    ``duplicate_window``
        For a network that cannot look posts up: how long after an ambiguous attempt a
        re-post is still safe, because the network answers a repeat of the same text with
        ``RejectedError(duplicate=True)``. After that the outcome stays unknown. ``None``
        when the network relies on no such window.
    ``sends_thumbnail``
        ``publish`` uploads ``PostRequest.thumbnail`` for the link card (the network does
        not build a card itself).
    """

    network: ClassVar[str]
    display_name: ClassVar[str]
    can_find_posts: ClassVar[bool]
    duplicate_window: ClassVar[timedelta | None]
    sends_thumbnail: ClassVar[bool]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "display_name" in vars(cls):
            _DISPLAY_NAMES.setdefault(cls.network, cls.display_name)

    def __init__(self, config: NetworkConfig, transport: Transport | None = None) -> None:
        if config.network != self.network:
            raise ValueError(f"{type(self).__name__} needs a {self.network!r} config, got {config.network!r}")
        self.config = config
        self.transport = transport or Transport(config)
        # The last x-rate-limit-* bucket seen, and X's 24-hour "app"/"user" buckets.
        self.rate_limit: RateLimit | None = None
        self.daily_limits: dict[str, RateLimit] = {}
        # Ids fetch_metrics could not get, with the provider's reason (deleted, protected…).
        self.unavailable: dict[str, str] = {}
        # After fetch_metrics: the metrics the provider refused to this token (403, the
        # permission was not granted), and how many HTTP calls it really made (budgets are
        # charged per call made, never per call planned).
        self.denied_metrics: set[str] = set()
        self.metrics_calls: int = 0

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
    def profile(self, *, token: TokenSet | str, first_call: bool = False) -> Profile:
        """Who ``token`` belongs to.

        ``first_call=True`` when this is the first call made with a token just returned by
        ``exchange_code`` (connecting): LinkedIn sometimes refuses a token it has only just
        issued ("revoked"), and the adapter then tries once more after a short pause.

        A 403 here means the *app* lacks a product or permission, not that the employee's
        connection is bad: ``ConfigError``, whose message names what is missing.
        """

    @abc.abstractmethod
    def publish(self, *, token: TokenSet | str, post: PostRequest) -> PublishedPost: ...

    @abc.abstractmethod
    def find_recent_posts(
        self,
        *,
        token: TokenSet | str,
        author_id: str,
        text: str,
        link_url: str | None,
        since: datetime,
        author_handle: str = "",
    ) -> list[PublishedPost]:
        """After an ``AmbiguousPostError`` or a duplicate answer: the author's posts since
        ``since`` that may be this one, oldest first, each with ``created_at``.

        With ``link_url`` (the share's tracked link) a post matches only if it carries that
        link, read from the provider's expanded/unwound URLs, never from the shortened text.
        Without one (a text-only share) a post matches if its text is identical (after the
        provider's own rewriting: t.co links, HTML entities). Deciding which candidate, if
        any, belongs to the share (one post per share) is the caller's business.
        ``[]`` when the network cannot list posts (``can_find_posts`` is False).
        ``author_handle`` builds the URL when the provider's answer does not name the author."""

    @abc.abstractmethod
    def fetch_metrics(
        self,
        *,
        remote_ids: list[str],
        token: TokenSet | str | None = None,
        skip_metrics: frozenset[str] = frozenset(),
    ) -> dict[str, PostMetrics]:
        """Metrics by remote id. Ids missing from the result are listed in ``unavailable``.

        ``skip_metrics`` names metrics not to ask for at all (the names this adapter puts
        in ``denied_metrics``; the caller remembers what was refused). They are absent from
        ``PostMetrics.raw`` like refused ones. A network that reads every metric in one
        call (X) accepts and ignores it.

        Afterwards ``denied_metrics`` names the metrics the provider refused to this token
        (their values are absent from ``PostMetrics.raw``: 0, or ``None`` for
        impressions/members reached, means "not known", not "zero"), and ``metrics_calls``
        is the number of HTTP calls actually made, also when this raised."""

    @abc.abstractmethod
    def post_url(self, remote_id: str, handle: str = "") -> str: ...

    @property
    @abc.abstractmethod
    def post_budgets(self) -> tuple[PostBudget, ...]:
        """The network's posting limits, with this install's numbers (``config``)."""

    def cost_of(self, post: PostRequest) -> Decimal:
        """What publishing ``post`` costs in US dollars (X is pay-per-use; LinkedIn is free)."""
        return Decimal("0")
