"""LinkedIn: "Sign In with LinkedIn using OpenID Connect" + "Share on LinkedIn" for members.

Wire facts (NETWORKS.md) this module honours, and why they matter:

* Client id and secret go in the token request *body*, not HTTP Basic.
* The token response's ``scope`` is comma-separated; a compliance hook rewrites it so
  requests-oauthlib parses it (and does not raise "Scope has changed").
* Refresh tokens exist only for partner-approved apps (programmatic refresh tokens):
  ``supports_refresh`` is False and the product must make reconnecting (every 60 days) one
  click. An approved app gets ``refresh_token`` + ``refresh_token_expires_in`` (365 days,
  not extended by refreshing) and ``refresh`` works whenever the caller holds one.
* Right after a code exchange the first ``/v2/userinfo`` call can answer 401
  ``REVOKED_ACCESS_TOKEN`` for a token LinkedIn has just issued: ``profile(first_call=True)``
  tries once more after ``first_call_pause`` seconds. A 403 there means the app lacks the
  "Sign In with LinkedIn using OpenID Connect" product: ``ConfigError``.
* ``/rest/...`` calls carry ``LinkedIn-Version`` (a setting: versions retire after about a
  year and then answer 426, which is a ``ConfigError`` — never retried) and
  ``X-Restli-Protocol-Version: 2.0.0``.
* A created post answers 201 with an *empty body*; the URN is in ``x-restli-id`` (older
  endpoints, or proxies that drop headers: the body's ``id``). A 500, 502 or 504 to the
  create call may still have created the post: ``AmbiguousPostError``; a 503 (service
  unavailable, the request was not handled) is an outage to wait out: ``TransientError``.
* ``commentary`` is little text and must be escaped (``linkedin_text``), or LinkedIn
  silently truncates it.
* 429 has no headers; the throttles are daily and reset at midnight UTC.
* There is no way to list a member's recent posts with ``w_member_social``, so
  ``find_recent_posts`` returns ``[]`` (``can_find_posts`` is False): after an ambiguous
  publish, re-posting the same text is answered by a 422 duplicate for about 10 minutes,
  which is LinkedIn's reconciliation signal (``duplicate_window``, with a minute's margin).
* Chorus's own budget: a configurable number of posts per member per UTC day (LinkedIn's
  throttles reset at midnight UTC), see ``post_budgets``.
* Metrics: one ``memberCreatorPostAnalytics`` call per metric per post. A 403 for a metric
  (``r_member_postAnalytics`` not granted) refuses that metric, not the batch: it goes to
  ``denied_metrics`` and is not asked again in this batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import requests

from .base import NetworkAdapter
from .errors import AmbiguousPostError, ConfigError, NetworkError, RejectedError, TransientError
from .linkedin_errors import is_revoked_token, linkedin_error
from .linkedin_text import MAX_COMMENTARY, escape_little_text
from .oauth import (
    ResponseHook,
    check_revoke_response,
    make_session,
    require_credentials,
    run_token_call,
    token_response_hook,
    token_set,
)
from .types import (
    AuthorizationRequest,
    NetworkConfig,
    PostBudget,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    TokenSet,
    access_token_of,
    check_url_allowed,
)
from .wire import Transport, oauthlib_transport, parse_error_body, utcnow

logger = logging.getLogger("networks.linkedin")

ANALYTICS_SCOPE = "r_member_postAnalytics"
# One metric per call; the order is the order of the calls.
METRICS = ("IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE")
_ENTITY_KINDS = {"share": "share", "ugcPost": "ugc"}
# What /v2/userinfo needs: the "Sign In with LinkedIn using OpenID Connect" product.
SIGN_IN_PRODUCT = "Sign In with LinkedIn using OpenID Connect"
SIGN_IN_SCOPES = ("openid", "profile")


def person_urn(author_id: str) -> str:
    """``urn:li:person:{sub}`` from the userinfo ``sub`` (a full URN passes through)."""
    return author_id if author_id.startswith("urn:li:") else f"urn:li:person:{author_id}"


def analytics_entity(urn: str) -> str | None:
    """``(share:urn%3Ali%3Ashare%3A1)`` / ``(ugc:…)``: the Rest.li entity for a post URN."""
    parts = urn.split(":")
    if len(parts) != 4 or parts[:2] != ["urn", "li"] or parts[2] not in _ENTITY_KINDS:
        return None
    return f"({_ENTITY_KINDS[parts[2]]}:{quote(urn, safe='')})"


def metric_type_of(element: dict[str, Any]) -> str:
    """``metricType`` is ``"IMPRESSION"`` in recent versions, ``{"<union member>": "IMPRESSION"}``
    in older ones."""
    value = element.get("metricType")
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return value if isinstance(value, str) else ""


class LinkedInAdapter(NetworkAdapter):
    network = "linkedin"
    display_name = "LinkedIn"
    can_find_posts = False
    # LinkedIn answers "duplicate" to the same text for about 10 minutes; 9 leaves a margin.
    duplicate_window = timedelta(minutes=9)
    # LinkedIn does not scrape links posted through the API: the card needs our thumbnail.
    sends_thumbnail = True
    # profile(first_call=True): how long to wait before asking again about a token LinkedIn
    # called revoked right after issuing it.
    first_call_pause: float = 1.0

    def __init__(self, config: NetworkConfig, transport: Transport | None = None) -> None:
        super().__init__(config, transport)
        # Injectable so tests (and impatient callers) need not really wait.
        self.sleep: Callable[[float], None] = time.sleep

    @property
    def post_budgets(self) -> tuple[PostBudget, ...]:
        limit = self.config.member_daily_posts
        return (
            PostBudget(
                key="linkedin:member",
                limit=limit,
                reason=f"LinkedIn allows {limit} posts per person per day",
                window=None,  # a UTC day: LinkedIn's throttles reset at midnight UTC
                per_account=True,
            ),
        )

    @property
    def supports_refresh(self) -> bool:
        """False: only partner-approved apps get refresh tokens, so an ordinary install must
        plan on reconnecting. This is policy, not a gate: when the account holds a refresh
        token (an approved app), ``refresh`` uses it; whether to call it is the caller's
        decision, made on the stored refresh token."""
        return False

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        """The configured scopes, plus ``r_member_postAnalytics`` when the app is approved
        for analytics (asking for it otherwise makes LinkedIn refuse the whole consent)."""
        scopes = tuple(self.config.scopes)
        if self.config.analytics_enabled and ANALYTICS_SCOPE not in scopes:
            scopes += (ANALYTICS_SCOPE,)
        return scopes

    @property
    def token_url(self) -> str:
        return f"{self.config.auth_url}/accessToken"

    @property
    def revoke_url(self) -> str:
        return f"{self.config.auth_url}/revoke"

    # ----------------------------------------------------------------- OAuth

    def authorization_request(self, *, redirect_uri: str, state: str) -> AuthorizationRequest:
        require_credentials(self.config, secret=False)
        session = make_session(self.config, redirect_uri=redirect_uri, scope=self.requested_scopes)
        with oauthlib_transport(self.config.authorize_url):
            url, state = session.authorization_url(self.config.authorize_url, state=state)
        return AuthorizationRequest(url=url, state=state, code_verifier=None)

    def _token_hook(self, secrets: Iterable[str | None]) -> ResponseHook:
        """One hook, so the order is fixed: map errors first, then fix the comma scope."""
        return token_response_hook(self.config, secrets)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        require_credentials(self.config)
        session = make_session(self.config, redirect_uri=redirect_uri, scope=self.requested_scopes)
        session.register_compliance_hook("access_token_response", self._token_hook([code, self.config.client_secret]))
        token = run_token_call(
            self.config,
            self.token_url,
            lambda: session.fetch_token(
                self.token_url, code=code, include_client_id=True, client_secret=self.config.client_secret
            ),
        )
        return token_set(token, requested_scopes=self.requested_scopes)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        require_credentials(self.config)
        session = make_session(self.config)
        session.register_compliance_hook(
            "refresh_token_response", self._token_hook([refresh_token, self.config.client_secret])
        )
        token = run_token_call(
            self.config,
            self.token_url,
            lambda: session.refresh_token(
                self.token_url,
                refresh_token=refresh_token,
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
            ),
        )
        return token_set(token, requested_scopes=self.requested_scopes)

    def revoke(self, *, token: TokenSet | str) -> None:
        require_credentials(self.config)
        access = access_token_of(token)
        response = self.transport.send(
            "POST",
            self.revoke_url,
            data={"client_id": self.config.client_id, "client_secret": self.config.client_secret, "token": access},
        )
        check_revoke_response(self.config, response, [access, self.config.client_secret])

    # ----------------------------------------------------------------- API

    def _headers(self, access: str, *, write: bool = False) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {access}",
            "LinkedIn-Version": self.config.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if write:
            headers["Content-Type"] = "application/json"
        return headers

    def _userinfo(self, access: str) -> requests.Response:
        return self.transport.send(
            "GET", f"{self.config.api_url}/v2/userinfo", headers={"Authorization": f"Bearer {access}"}
        )

    def profile(self, *, token: TokenSet | str, first_call: bool = False) -> Profile:
        """The member behind ``token`` (OpenID userinfo).

        ``first_call=True``: ``token`` has just come from ``exchange_code``. LinkedIn then
        sometimes answers 401 ``REVOKED_ACCESS_TOKEN`` (65601) for a token it issued a
        moment ago; the call is made once more after ``first_call_pause`` seconds (through
        ``self.sleep``). Any other answer, or a second refusal, is final.

        A 403 means Chorus's LinkedIn app lacks the sign-in product: ``ConfigError``.
        """
        access = access_token_of(token)
        response = self._userinfo(access)
        if first_call and is_revoked_token(response):
            logger.info("LinkedIn called a just-issued token revoked; asking again in %ss", self.first_call_pause)
            self.sleep(self.first_call_pause)
            response = self._userinfo(access)
        if response.status_code == 403:
            raise self._sign_in_missing(response, token, access)
        if not response.ok:
            raise linkedin_error(response, [access], version=self.config.linkedin_version)
        try:
            data = response.json()
            sub = str(data["sub"])
        except (ValueError, KeyError, TypeError):
            raise TransientError("LinkedIn sent a profile Chorus could not read.", network="linkedin") from None
        locale = data.get("locale")
        if isinstance(locale, dict):  # real responses: {"country": "US", "language": "en"}
            locale = "_".join(p for p in (locale.get("language"), locale.get("country")) if p) or None
        name = data.get("name") or " ".join(p for p in (data.get("given_name"), data.get("family_name")) if p)
        return Profile(
            remote_id=sub,
            handle="",
            display_name=name or "",
            avatar_url=data.get("picture") or "",
            email=data.get("email") or "",
            audience_size=None,
            locale=locale if isinstance(locale, str) else None,
        )

    def _sign_in_missing(self, response: requests.Response, token: TokenSet | str, access: str) -> ConfigError:
        """The 403 ``ACCESS_DENIED`` ("Not enough permissions to access: userinfo.GET…") of
        an app without the OpenID Connect product, in words an admin can act on."""
        body = parse_error_body(response, [access])
        granted = token.scopes if isinstance(token, TokenSet) else ()
        missing = [scope for scope in SIGN_IN_SCOPES if granted and scope not in granted]
        if missing:
            what = f"the sign-in did not grant the permission{'s' if len(missing) > 1 else ''} {' and '.join(missing)}"
        else:
            what = f"it needs the permissions {' and '.join(SIGN_IN_SCOPES)}"
        return ConfigError(
            f'LinkedIn would not tell Chorus who you are: Chorus\'s LinkedIn app is missing the product "{SIGN_IN_PRODUCT}" '
            f"({what}). An administrator needs to add that product to the app in the LinkedIn Developer Portal "
            "and include openid, profile and email in LINKEDIN_SCOPES. Connecting again will not help until then.",
            status=response.status_code,
            code=body.service_code or body.code or None,
            network="linkedin",
            provider_message=body.message,
        )

    def publish(self, *, token: TokenSet | str, post: PostRequest) -> PublishedPost:
        if len(post.text) > MAX_COMMENTARY:
            raise RejectedError(
                f"LinkedIn posts can be at most {MAX_COMMENTARY:,} characters; this one has {len(post.text):,}.",
                reason="too_long",
                network="linkedin",
            )
        access = access_token_of(token)
        author = person_urn(post.author_id)
        body: dict[str, Any] = {
            "author": author,
            "commentary": escape_little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.link_url:
            article: dict[str, str] = {"source": post.link_url, "title": post.title or post.link_url}
            if post.description:
                article["description"] = post.description
            if post.thumbnail and (image := self._upload_thumbnail(access, author, post)):
                article["thumbnail"] = image
            body["content"] = {"article": article}
        sent_at = utcnow()
        response = self.transport.send(
            "POST",
            f"{self.config.api_url}/rest/posts",
            json=body,
            headers=self._headers(access, write=True),
            ambiguous=True,
        )
        if response.status_code >= 500 and response.status_code != 503:
            # The request reached LinkedIn, which failed somewhere while handling it: the
            # post may exist (the rule of wire.possibly_sent). Reconcile, never re-post blindly.
            # 503 is the exception: "currently unable to handle the request" (RFC 9110
            # 15.6.4), an overloaded or down service that did not take it, so it is waited
            # out like any outage (linkedin_error makes it a TransientError below).
            error = parse_error_body(response, [access])
            raise AmbiguousPostError(
                "LinkedIn had a problem while handling the post, so it may or may not have been published. "
                "Chorus will check before trying again.",
                sent_at=sent_at,
                status=response.status_code,
                code=error.service_code or error.code or None,
                network="linkedin",
                provider_message=error.message,
            )
        if response.status_code not in (200, 201):
            raise linkedin_error(response, [access], version=self.config.linkedin_version)
        urn = created_id(response)
        if not urn:
            # Created, but we cannot tell which post: the same situation as a lost answer.
            raise AmbiguousPostError(
                "LinkedIn accepted the post but did not say which post it created. "
                "Chorus will check before trying again.",
                sent_at=sent_at,
                status=response.status_code,
                network="linkedin",
            )
        return PublishedPost(remote_id=urn, url=self.post_url(urn))

    def _upload_thumbnail(self, access: str, author: str, post: PostRequest) -> str | None:
        """Images API: initializeUpload, then PUT the bytes. The thumbnail is a nicety, so
        any failure means "post without it" (logged), never "fail the post"."""
        try:
            init = self.transport.send(
                "POST",
                f"{self.config.api_url}/rest/images?action=initializeUpload",
                json={"initializeUploadRequest": {"owner": author}},
                headers=self._headers(access, write=True),
            )
            if not init.ok:
                raise linkedin_error(init, [access], version=self.config.linkedin_version)
            value = init.json()["value"]
            upload_url, image = str(value["uploadUrl"]), str(value["image"])
            check_url_allowed(upload_url, what="LinkedIn image upload")
            put = self.transport.send(
                "PUT",
                upload_url,
                data=post.thumbnail,
                headers={"Authorization": f"Bearer {access}", "Content-Type": post.thumbnail_content_type},
            )
            if not put.ok:
                raise linkedin_error(put, [access], version=self.config.linkedin_version)
            return image
        except (NetworkError, ValueError, KeyError, TypeError) as exc:
            logger.warning("LinkedIn thumbnail upload failed, posting without a thumbnail: %s", exc)
            return None

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
        """Always ``[]``: see the module docstring (the 422 duplicate reconciles)."""
        return []

    def fetch_metrics(
        self,
        *,
        remote_ids: list[str],
        token: TokenSet | str | None = None,
        skip_metrics: frozenset[str] = frozenset(),
    ) -> dict[str, PostMetrics]:
        """``memberCreatorPostAnalytics``, one call per metric per post, with the author's
        token. Without analytics approval LinkedIn gives nothing, so we do not ask.

        Metrics in ``skip_metrics`` (names from ``METRICS``, e.g. ones refused to this
        account before) are not asked for: no call, and absent from ``PostMetrics.raw``.

        A 403 for one metric (``r_member_postAnalytics`` not granted to this token) puts the
        metric in ``denied_metrics`` and the batch goes on without it; a post for which
        every metric was refused is ``unavailable``. ``metrics_calls`` counts the calls
        made (fewer than planned once a metric is refused)."""
        self.unavailable = {}
        self.denied_metrics = set()
        self.metrics_calls = 0
        if not self.config.analytics_enabled or not remote_ids:
            return {}
        if token is None:
            raise ValueError("LinkedIn metrics need the author's token")
        if isinstance(token, TokenSet) and token.scopes and ANALYTICS_SCOPE not in token.scopes:
            # Connected before the app was approved for analytics: every call would be a 403.
            self.denied_metrics = set(METRICS)
            self.unavailable = dict.fromkeys(remote_ids, "the author's connection has no analytics permission")
            return {}
        wanted = tuple(metric for metric in METRICS if metric not in skip_metrics)
        if not wanted:
            self.unavailable = dict.fromkeys(remote_ids, "every metric was left out (skip_metrics)")
            return {}
        access = access_token_of(token)
        results: dict[str, PostMetrics] = {}
        for urn in remote_ids:
            entity = analytics_entity(urn)
            if entity is None:
                self.unavailable[urn] = "not a LinkedIn post URN"
                continue
            counts = self._post_counts(access, urn, entity, wanted)
            if counts is None:
                continue
            if not counts:
                self.unavailable[urn] = "LinkedIn refused this post's statistics (analytics permission not granted)"
                continue
            results[urn] = PostMetrics(
                remote_id=urn,
                reactions=counts.get("REACTION", 0),
                comments=counts.get("COMMENT", 0),
                reshares=counts.get("RESHARE", 0),
                impressions=counts.get("IMPRESSION"),
                members_reached=counts.get("MEMBERS_REACHED"),
                raw=dict(counts),
            )
        return results

    def _post_counts(self, access: str, urn: str, entity: str, wanted: tuple[str, ...]) -> dict[str, int] | None:
        """The counts LinkedIn gave for ``urn`` of the ``wanted`` metrics (refused ones
        left out), or ``None`` when the post itself is out of reach (``unavailable`` says why)."""
        counts: dict[str, int] = {}
        for metric in wanted:
            if metric in self.denied_metrics:
                continue  # refused to this token already: asking again only spends the budget
            # Built by hand: the entity's parentheses and colons are Rest.li syntax and
            # must reach LinkedIn as they are, with only the URN percent-encoded.
            url = (
                f"{self.config.api_url}/rest/memberCreatorPostAnalytics"
                f"?q=entity&entity={entity}&queryType={metric}&aggregation=TOTAL"
            )
            self.metrics_calls += 1
            response = self.transport.send("GET", url, headers=self._headers(access))
            if response.status_code == 404:
                self.unavailable[urn] = "LinkedIn could not find this post"
                return None
            if response.status_code == 403:
                body = parse_error_body(response, [access])
                if urn in " ".join(body.texts) or quote(urn, safe="") in " ".join(body.texts):
                    # "Not enough permissions to access urn:li:ugcPost:…": this post, not the metric.
                    self.unavailable[urn] = "LinkedIn does not let this account read this post's statistics"
                    return None
                logger.info("LinkedIn refused the %s metric: %s", metric, body.message)
                self.denied_metrics.add(metric)
                continue
            if not response.ok:
                raise linkedin_error(response, [access], version=self.config.linkedin_version)
            try:
                elements = response.json().get("elements") or []
            except (ValueError, AttributeError):
                raise TransientError("LinkedIn sent metrics Chorus could not read.", network="linkedin") from None
            counts[metric] = sum(
                int(e.get("count") or 0)
                for e in elements
                if isinstance(e, dict) and metric_type_of(e) in ("", metric)
            )
        return counts

    def post_url(self, remote_id: str, handle: str = "") -> str:
        return f"{self.config.web_url}/feed/update/{remote_id}/"


def created_id(response: requests.Response) -> str | None:
    """The new post's URN: the ``x-restli-id`` header (``x-linkedin-id`` on some versions),
    else the body's ``id`` (older endpoints answer with it, and a proxy may strip headers)."""
    urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
    if not urn:
        try:
            data = response.json()
        except ValueError:
            data = None
        value = data.get("id") if isinstance(data, dict) else None
        urn = value if isinstance(value, str) else None
    urn = (urn or "").strip()
    if urn.lower().startswith("urn%3a"):  # percent-encoded by a Rest.li layer
        urn = unquote(urn)
    return urn or None
