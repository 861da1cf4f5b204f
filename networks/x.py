"""X (API v2): OAuth 2.0 with PKCE, posting, reconciliation and public metrics.

Wire facts (NETWORKS.md) this module honours, and why they matter:

* PKCE S256 with a fresh verifier per authorization; confidential clients authenticate
  to the token endpoint with HTTP Basic (public clients send only ``client_id``).
* Connecting always asks for ``offline.access`` (without it X issues no refresh token and
  the connection dies after two hours). If the member's consent still lacks it, the
  ``TokenSet`` has no refresh token and its real, short ``expires_at``.
* Refresh tokens **rotate**: ``refresh`` returns the new one and the old one is dead, so
  the caller must store the returned ``TokenSet`` atomically. A refresh refused with
  ``invalid_client``/``unauthorized_client`` is the app's configuration (``ConfigError``);
  ``invalid_grant``/``invalid_request`` means reconnect (``AuthError``).
* A 403 on ``/2/users/me`` while connecting is the app's setup (not attached to a Project,
  or no ``users.read``): ``ConfigError``.
* ``POST /2/tweets`` answers 201 ``{"data": {"id", "text"}}``; duplicates are a 403.
* Every response carries ``x-rate-limit-*`` (and posting ``x-{app,user}-limit-24hour-*``):
  kept on ``rate_limit``/``daily_limits`` for budgets; a 429 waits until the reset.
* Metrics use the app-only bearer token, ≤ 100 ids a call, and a 200 may carry an
  ``errors`` array for the ids that failed (they go to ``unavailable``). A 400 naming ids
  X finds malformed drops those and asks again for the rest, once. Newer specs say
  ``repost_count``: accepted.
* Pay-per-use: a post with a URL anywhere in its text costs far more than one without
  (``cost_of``).
* Chorus's own budgets (``post_budgets``): posts per person per 15 minutes and per app per
  24 hours, both sliding windows.
* X wraps URLs in t.co links and HTML-escapes ``&<>`` in returned text, so
  ``find_recent_posts`` matches a link through ``entities.urls`` (expanded/unwound) only,
  and text by undoing that rewriting (see ``same_text``).
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from oauthlib.oauth2 import WebApplicationClient
from requests.auth import HTTPBasicAuth

from .base import NetworkAdapter
from .errors import AmbiguousPostError, ConfigError, NetworkError, TransientError
from .oauth import (
    check_revoke_response,
    make_session,
    require_credentials,
    run_token_call,
    token_response_hook,
    token_set,
)
from .types import (
    AuthorizationRequest,
    PostBudget,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    TokenSet,
    access_token_of,
)
from .wire import (
    ErrorBody,
    oauthlib_transport,
    parse_error_body,
    parse_rate_limits,
    utcnow,
)
from .x_errors import x_error
from .x_text import url_spans

logger = logging.getLogger("networks.x")

OFFLINE_ACCESS = "offline.access"
METRICS_CHUNK = 100
# find_recent_posts: a page of the author's timeline, and how many pages at most. Reads are
# billed per post returned, so the window (``since``) keeps this small, not the page size.
TIMELINE_PAGE = 100
TIMELINE_PAGES = 3
_TCO = re.compile(r"https?://t\.co/[A-Za-z0-9]+", re.IGNORECASE)
_INVALID_IDS = re.compile(r"`ids` query parameter value \[([^\]]*)\]")
_URL_SLOT = "\x00"


def normalise_url(url: str) -> str:
    """For comparing links: scheme and host are case-insensitive, the path is not (a
    tracked link's code is case-sensitive), and a trailing slash is noise."""
    url = url.strip()
    if "://" not in url:
        url = f"http://{url}"  # X expands a bare "example.com" to "http://example.com"
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment)).rstrip("/")
    return f"{host}{rest}"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def same_text(ours: str, tweet: dict[str, Any]) -> bool:
    """Whether ``tweet`` carries exactly the text ``ours``, once X's rewriting is undone:
    HTML entities (``&amp;`` ``&lt;`` ``&gt;``) unescaped, every link replaced by a t.co
    link, Unicode NFC, whitespace runs. Links are compared through ``entities.urls`` where X
    gives them; a t.co link X did not expand can only be matched by its position."""
    mine = unicodedata.normalize("NFC", ours)
    my_urls: list[str] = []
    pieces, last = [], 0
    for start, end in url_spans(mine):  # X's own rules for what it shortens
        pieces += [mine[last:start], _URL_SLOT]
        my_urls.append(mine[start:end])
        last = end
    mine = "".join([*pieces, mine[last:]])

    theirs = unicodedata.normalize("NFC", html.unescape(str(tweet.get("text") or "")))
    expanded = {
        u["url"]: u.get("expanded_url") or u.get("unwound_url")
        for u in (tweet.get("entities") or {}).get("urls") or []
        if isinstance(u, dict) and u.get("url")
    }
    their_urls = [expanded.get(m.group(0)) for m in _TCO.finditer(theirs)]
    theirs = _TCO.sub(_URL_SLOT, theirs)

    if _collapse(mine) != _collapse(theirs) or len(my_urls) != len(their_urls):
        return False
    return all(
        link is None or normalise_url(link) == normalise_url(url) for url, link in zip(my_urls, their_urls, strict=True)
    )


def tweet_links(tweet: dict[str, Any]) -> set[str]:
    """The links a post carries, as X expanded (and, where it did, unwound) them."""
    return {
        normalise_url(u[key])
        for u in (tweet.get("entities") or {}).get("urls") or []
        if isinstance(u, dict)
        for key in ("expanded_url", "unwound_url")
        if isinstance(u.get(key), str) and u[key]
    }


def invalid_ids(body: ErrorBody, asked: list[str]) -> set[str]:
    """The ids a 400 says are malformed: ``errors[].parameters.ids`` or the message
    "The `ids` query parameter value [abc] is not valid" / "… does not match …"."""
    named: set[str] = set()
    for error in body.raw.get("errors") or []:
        if not isinstance(error, dict):
            continue
        parameters = error.get("parameters")
        if isinstance(parameters, dict) and isinstance(parameters.get("ids"), list):
            named.update(str(value) for value in parameters["ids"])
        match = _INVALID_IDS.search(str(error.get("message") or ""))
        if match:
            named.update(part.strip() for part in match.group(1).split(","))
    return named & set(asked)


class XAdapter(NetworkAdapter):
    network = "x"
    display_name = "X"
    # The account's recent posts can be listed: after an ambiguous publish, look first.
    can_find_posts = True
    duplicate_window = None
    sends_thumbnail = False  # X builds its own card from the link

    @property
    def post_budgets(self) -> tuple[PostBudget, ...]:
        per_user, per_app = self.config.user_posts_per_15_min, self.config.app_posts_per_24_h
        return (
            PostBudget(
                key="x:user",
                limit=per_user,
                reason=f"X allows {per_user} posts per 15 minutes per person",
                window=timedelta(minutes=15),
                per_account=True,
            ),
            PostBudget(
                key="x:app",
                limit=per_app,
                reason=f"X allows this app {per_app:,} posts per day",
                window=timedelta(hours=24),
            ),
        )

    @property
    def supports_refresh(self) -> bool:
        return True

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        """The configured scopes, always with ``offline.access``: without it X issues no
        refresh token and every connection dies two hours after connecting."""
        scopes = tuple(self.config.scopes)
        return scopes if OFFLINE_ACCESS in scopes else (*scopes, OFFLINE_ACCESS)

    @property
    def token_url(self) -> str:
        return f"{self.config.auth_url}/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.config.auth_url}/revoke"

    def _client_auth(self) -> HTTPBasicAuth | None:
        """HTTP Basic for confidential clients; public clients (no secret) send only client_id."""
        if self.config.client_secret:
            return HTTPBasicAuth(self.config.client_id, self.config.client_secret)
        return None

    def _note_limits(self, response: requests.Response) -> None:
        limits = parse_rate_limits(response.headers)
        if "window" in limits:
            self.rate_limit = limits["window"]
        for bucket, key in (("app_24h", "app"), ("user_24h", "user")):
            if bucket in limits:
                self.daily_limits[key] = limits[bucket]

    def _send_get(self, path: str, bearer: str, params: dict[str, str]) -> requests.Response:
        response = self.transport.send(
            "GET", f"{self.config.api_url}{path}", params=params, headers={"Authorization": f"Bearer {bearer}"}
        )
        self._note_limits(response)
        return response

    def _get(self, path: str, bearer: str, params: dict[str, str], *, app_auth: bool = False) -> dict[str, Any]:
        return self._read(self._send_get(path, bearer, params), bearer, app_auth=app_auth)

    def _read(self, response: requests.Response, bearer: str, *, app_auth: bool = False) -> dict[str, Any]:
        if not response.ok:
            raise x_error(response, [bearer], app_auth=app_auth)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TransientError("X sent an answer Chorus could not read.", network="x")
        return data

    # ----------------------------------------------------------------- OAuth

    def authorization_request(self, *, redirect_uri: str, state: str) -> AuthorizationRequest:
        require_credentials(self.config, secret=False)
        pkce = WebApplicationClient(self.config.client_id)
        verifier = pkce.create_code_verifier(64)
        challenge = pkce.create_code_challenge(verifier, "S256")
        session = make_session(self.config, redirect_uri=redirect_uri, scope=self.requested_scopes)
        with oauthlib_transport(self.config.authorize_url):
            url, state = session.authorization_url(
                self.config.authorize_url, state=state, code_challenge=challenge, code_challenge_method="S256"
            )
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        if not code_verifier:
            raise ValueError("X needs the PKCE code_verifier from authorization_request")
        require_credentials(self.config, secret=False)
        session = make_session(self.config, redirect_uri=redirect_uri, scope=self.requested_scopes)
        secrets = [code, code_verifier, self.config.client_secret]
        session.register_compliance_hook("access_token_response", token_response_hook(self.config, secrets))
        token = run_token_call(
            self.config,
            self.token_url,
            lambda: session.fetch_token(
                self.token_url,
                code=code,
                code_verifier=code_verifier,
                auth=self._client_auth(),
                include_client_id=True,
            ),
        )
        tokens = token_set(token, requested_scopes=self.requested_scopes)
        if tokens.refresh_token is None:
            logger.warning("X issued no refresh token (offline.access not granted); the connection ends at expiry")
        return tokens

    def refresh(self, *, refresh_token: str) -> TokenSet:
        require_credentials(self.config, secret=False)
        session = make_session(self.config)
        secrets = [refresh_token, self.config.client_secret]
        session.register_compliance_hook("refresh_token_response", token_response_hook(self.config, secrets))
        token = run_token_call(
            self.config,
            self.token_url,
            lambda: session.refresh_token(
                self.token_url, refresh_token=refresh_token, auth=self._client_auth(), client_id=self.config.client_id
            ),
        )
        if token.get("refresh_token") == refresh_token:
            # requests-oauthlib copies the old token when the answer has none; on X the old
            # one died with this refresh, so keeping it would only fail later.
            logger.warning("X refreshed without a new refresh token; the account must reconnect when this expires")
            token.pop("refresh_token")
        return token_set(token, requested_scopes=self.requested_scopes)

    def revoke(self, *, token: TokenSet | str) -> None:
        pairs = [(access_token_of(token), "access_token")]
        if isinstance(token, TokenSet) and token.refresh_token:
            pairs.append((token.refresh_token, "refresh_token"))
        for value, hint in pairs:
            response = self.transport.send(
                "POST",
                self.revoke_url,
                data={"token": value, "token_type_hint": hint, "client_id": self.config.client_id},
                auth=self._client_auth(),
            )
            check_revoke_response(self.config, response, [value, self.config.client_secret])

    # ----------------------------------------------------------------- API

    def profile(self, *, token: TokenSet | str, first_call: bool = False) -> Profile:
        """``GET /2/users/me``. ``first_call`` is accepted for the common interface; X needs
        no second try. A 403 is the app's setup, never the employee's: ``ConfigError``."""
        access = access_token_of(token)
        response = self._send_get("/2/users/me", access, {"user.fields": "profile_image_url,public_metrics"})
        if response.status_code == 403:
            raise self._profile_forbidden(response, token, access)
        data = self._read(response, access).get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise TransientError("X sent a profile Chorus could not read.", network="x")
        followers = (data.get("public_metrics") or {}).get("followers_count")
        return Profile(
            remote_id=str(data["id"]),
            handle=str(data.get("username") or ""),
            display_name=str(data.get("name") or ""),
            avatar_url=str(data.get("profile_image_url") or ""),
            email="",
            audience_size=int(followers) if followers is not None else None,
        )

    def _profile_forbidden(self, response: requests.Response, token: TokenSet | str, access: str) -> NetworkError:
        error = x_error(response, [access])
        if isinstance(error, ConfigError):
            return error  # not in a Project, no credits…: x_error already says what to fix
        granted = token.scopes if isinstance(token, TokenSet) else ()
        lacking = "the sign-in did not grant it" if granted and "users.read" not in granted else "or its access level"
        return ConfigError(
            "X would not tell Chorus who you are: Chorus's X app lacks the permission users.read "
            f"({lacking}). An administrator needs to check the app's permissions in the X Developer Portal "
            "and that X_SCOPES includes users.read. Connecting again will not help until then.",
            status=error.status,
            code=error.code,
            network="x",
            provider_message=error.provider_message,
        )

    @staticmethod
    def compose_text(post: PostRequest) -> str:
        """The post text, with the link appended when the text does not already carry it."""
        if post.link_url and post.link_url not in post.text:
            return f"{post.text.rstrip()}\n\n{post.link_url}" if post.text.strip() else post.link_url
        return post.text

    def publish(self, *, token: TokenSet | str, post: PostRequest) -> PublishedPost:
        access = access_token_of(token)
        response = self.transport.send(
            "POST",
            f"{self.config.api_url}/2/tweets",
            json={"text": self.compose_text(post)},
            headers={"Authorization": f"Bearer {access}"},
            ambiguous=True,
        )
        self._note_limits(response)
        if response.status_code not in (200, 201):
            raise x_error(response, [access])
        try:
            remote_id = str(response.json()["data"]["id"])
        except (ValueError, KeyError, TypeError):
            # Created, but we cannot tell which post: the same situation as a lost answer.
            raise AmbiguousPostError(
                "X accepted the post but Chorus could not read which post it created. "
                "Chorus will check before trying again.",
                sent_at=utcnow(),
                status=response.status_code,
                network="x",
            ) from None
        return PublishedPost(remote_id=remote_id, url=self.post_url(remote_id, post.author_handle))

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
        """The author's posts since ``since`` that may be this one, oldest first (see
        ``NetworkAdapter.find_recent_posts``), from ``GET /2/users/:id/tweets``.

        With ``link_url``: only posts whose ``entities.urls`` expand or unwind to it (the
        text shows a t.co link, which says nothing). Without: posts whose text is the same
        once X's rewriting is undone (``same_text``). Follows ``meta.next_token`` for at
        most ``TIMELINE_PAGES`` pages of ``TIMELINE_PAGE`` posts.
        """
        access = access_token_of(token)
        start = since - timedelta(minutes=2)  # clock skew between us and X
        params = {
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "max_results": str(TIMELINE_PAGE),
            "exclude": "replies,retweets",
            "tweet.fields": "created_at,entities",
            "expansions": "author_id",
            "user.fields": "username",
        }
        tweets: list[dict[str, Any]] = []
        usernames: dict[str, str] = {}
        for _ in range(TIMELINE_PAGES):
            data = self._get(f"/2/users/{author_id}/tweets", access, params)
            tweets += [t for t in data.get("data") or [] if isinstance(t, dict) and t.get("id")]
            for user in (data.get("includes") or {}).get("users") or []:
                if isinstance(user, dict) and user.get("id"):
                    usernames[str(user["id"])] = str(user.get("username") or "")
            next_token = (data.get("meta") or {}).get("next_token")
            if not next_token:
                break
            params = {**params, "pagination_token": str(next_token)}

        wanted_link = normalise_url(link_url) if link_url else None
        found: dict[str, PublishedPost] = {}
        for tweet in tweets:
            matches = wanted_link in tweet_links(tweet) if wanted_link else bool(text.strip()) and same_text(text, tweet)
            if matches:
                remote_id = str(tweet["id"])
                handle = usernames.get(str(tweet.get("author_id") or "")) or author_handle
                found[remote_id] = PublishedPost(
                    remote_id, self.post_url(remote_id, handle), _parse_time(tweet.get("created_at"))
                )
        return sorted(found.values(), key=_oldest_first)

    def fetch_metrics(
        self,
        *,
        remote_ids: list[str],
        token: TokenSet | str | None = None,
        skip_metrics: frozenset[str] = frozenset(),
    ) -> dict[str, PostMetrics]:
        """Public metrics, ≤ 100 ids a call, with the app-only bearer token (the author's
        token only when no app token is configured). ``skip_metrics`` is ignored: one call
        reads every public metric, so leaving one out saves nothing.

        Ids X reports in a 200's ``errors`` (deleted, protected…) go to ``unavailable`` with
        X's reason. A 400 naming malformed ids drops those into ``unavailable`` and asks
        again at once for the rest of the chunk (once). ``metrics_calls`` counts the calls."""
        self.unavailable = {}
        self.denied_metrics = set()
        self.metrics_calls = 0
        bearer = self.config.app_bearer_token or (access_token_of(token) if token is not None else "")
        if not bearer:
            raise ConfigError(
                "Chorus has no X app bearer token for reading metrics. An administrator needs to set "
                "X_APP_BEARER_TOKEN.",
                network="x",
            )
        ids = list(dict.fromkeys(remote_ids))
        results: dict[str, PostMetrics] = {}
        for start in range(0, len(ids), METRICS_CHUNK):
            chunk = ids[start : start + METRICS_CHUNK]
            data = self._lookup(chunk, bearer)
            for tweet in data.get("data") or []:
                if isinstance(tweet, dict) and tweet.get("id"):
                    metrics = self._metrics(tweet)
                    results[metrics.remote_id] = metrics
            for error in data.get("errors") or []:
                if not isinstance(error, dict):
                    continue
                failed = str(error.get("resource_id") or error.get("value") or "")
                if failed in chunk and failed not in results:
                    self.unavailable[failed] = str(error.get("detail") or error.get("title") or "unavailable")
            for missing in set(chunk) - results.keys() - self.unavailable.keys():
                self.unavailable[missing] = "not returned by X"
        return results

    def _lookup(self, chunk: list[str], bearer: str) -> dict[str, Any]:
        """``GET /2/tweets?ids=…`` for one chunk; on a 400 naming malformed ids, those go to
        ``unavailable`` and the rest are asked for again, once."""
        def send(ids: list[str]) -> requests.Response:
            self.metrics_calls += 1
            return self._send_get("/2/tweets", bearer, {"ids": ",".join(ids), "tweet.fields": "public_metrics"})

        response = send(chunk)
        if response.status_code == 400:
            bad = invalid_ids(parse_error_body(response, [bearer]), chunk)
            if bad:
                for remote_id in bad:
                    self.unavailable[remote_id] = "not a valid X post id"
                rest = [remote_id for remote_id in chunk if remote_id not in bad]
                if not rest:
                    return {}
                response = send(rest)  # once: a second 400 is raised like any other
        return self._read(response, bearer, app_auth=bearer == self.config.app_bearer_token)

    @staticmethod
    def _metrics(tweet: dict[str, Any]) -> PostMetrics:
        public = tweet.get("public_metrics") or {}

        def count(*names: str) -> int:
            return next((int(public[n]) for n in names if public.get(n) is not None), 0)

        impressions = public.get("impression_count")
        return PostMetrics(
            remote_id=str(tweet["id"]),
            reactions=count("like_count"),
            comments=count("reply_count"),
            reshares=count("retweet_count", "repost_count") + count("quote_count"),
            impressions=int(impressions) if impressions is not None else None,
            members_reached=None,
            raw=dict(public),
        )

    def post_url(self, remote_id: str, handle: str = "") -> str:
        return f"{self.config.web_url}/{handle or 'i/web'}/status/{remote_id}"

    def cost_of(self, post: PostRequest) -> Decimal:
        """X bills a post with a URL at a much higher rate than a plain one: the item's
        link or any URL in the text (the employee's own words included)."""
        # X's own URL grammar (bare domains like example.com included), as X counts them.
        has_url = bool(post.link_url) or bool(url_spans(post.text))
        return self.config.cost_post_with_url if has_url else self.config.cost_post


def _parse_time(value: object) -> datetime | None:
    """X's ``created_at`` ("2026-03-04T12:00:01.000Z"), or None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _oldest_first(post: PublishedPost) -> tuple[bool, datetime, int]:
    """Sort key: by ``created_at``; X's ids grow with time, so they order the rest."""
    when = post.created_at or datetime.max.replace(tzinfo=UTC)
    return (post.created_at is None, when, int(post.remote_id) if post.remote_id.isdigit() else 0)
