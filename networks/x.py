"""X (API v2): OAuth 2.0 with PKCE, posting, reconciliation and public metrics.

Wire facts (NETWORKS.md) this module honours, and why they matter:

* PKCE S256 with a fresh verifier per authorization; confidential clients authenticate
  to the token endpoint with HTTP Basic (public clients send only ``client_id``).
* Refresh tokens **rotate**: ``refresh`` returns the new one and the old one is dead, so
  the caller must store the returned ``TokenSet`` atomically.
* ``POST /2/tweets`` answers 201 ``{"data": {"id", "text"}}``; duplicates are a 403.
* Every response carries ``x-rate-limit-*`` (and posting ``x-{app,user}-limit-24hour-*``):
  kept on ``rate_limit``/``daily_limits`` for budgets; a 429 waits until the reset.
* Metrics use the app-only bearer token, ≤ 100 ids a call, and a 200 may carry an
  ``errors`` array for the ids that failed. Newer specs say ``repost_count``: accepted.
* Pay-per-use: a post with a URL anywhere in its text costs far more than one without
  (``cost_of``).
* Chorus's own budgets (``post_budgets``): posts per person per 15 minutes and per app per
  24 hours, both sliding windows.
* X wraps URLs in t.co links and HTML-escapes ``&<>`` in returned text, so
  ``find_recent_post`` compares text with URLs removed and entities unescaped, or the link.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from oauthlib.oauth2 import WebApplicationClient
from requests.auth import HTTPBasicAuth

from .base import NetworkAdapter
from .errors import AmbiguousPostError, ConfigError, TransientError
from .oauth import (
    check_revoke_response,
    make_session,
    raise_for_token_response,
    require_credentials,
    run_token_call,
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
    oauthlib_transport,
    parse_rate_limits,
    utcnow,
)
from .x_errors import x_error
from .x_text import url_spans

logger = logging.getLogger("networks.x")

METRICS_CHUNK = 100
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def normalise_text(text: str) -> str:
    """Text as X gives it back, minus what X changes: t.co links, ``&amp;``, spacing."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    return " ".join(_URL.sub(" ", text).split()).casefold()


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


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

    def _get(self, path: str, bearer: str, params: dict[str, str], *, app_auth: bool = False) -> dict[str, Any]:
        response = self.transport.send(
            "GET", f"{self.config.api_url}{path}", params=params, headers={"Authorization": f"Bearer {bearer}"}
        )
        self._note_limits(response)
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
        session = make_session(self.config, redirect_uri=redirect_uri, scope=self.config.scopes)
        with oauthlib_transport(self.config.authorize_url):
            url, state = session.authorization_url(
                self.config.authorize_url, state=state, code_challenge=challenge, code_challenge_method="S256"
            )
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        if not code_verifier:
            raise ValueError("X needs the PKCE code_verifier from authorization_request")
        require_credentials(self.config, secret=False)
        session = make_session(self.config, redirect_uri=redirect_uri, scope=self.config.scopes)
        secrets = [code, code_verifier, self.config.client_secret]
        session.register_compliance_hook("access_token_response", raise_for_token_response(self.config, secrets))
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
        return token_set(token, requested_scopes=self.config.scopes)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        require_credentials(self.config, secret=False)
        session = make_session(self.config)
        secrets = [refresh_token, self.config.client_secret]
        session.register_compliance_hook("refresh_token_response", raise_for_token_response(self.config, secrets))
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
        return token_set(token, requested_scopes=self.config.scopes)

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

    def profile(self, *, token: TokenSet | str) -> Profile:
        data = self._get(
            "/2/users/me", access_token_of(token), {"user.fields": "profile_image_url,public_metrics"}
        ).get("data")
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
        ``NetworkAdapter.find_recent_posts``).

        With ``link_url``: only posts whose ``entities.urls`` expand or unwind to it (the
        text shows a t.co link, which says nothing). Without: posts whose text is the same
        once X's rewriting (t.co links, HTML entities) is undone.
        """
        start = since - timedelta(minutes=2)  # clock skew between us and X
        data = self._get(
            f"/2/users/{author_id}/tweets",
            access_token_of(token),
            {
                "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_results": "20",
                "exclude": "replies,retweets",
                "tweet.fields": "created_at,entities",
                "expansions": "author_id",
                "user.fields": "username",
            },
        )
        usernames = {u.get("id"): u.get("username", "") for u in (data.get("includes") or {}).get("users", [])}
        wanted_text = normalise_text(text)
        wanted_link = normalise_url(link_url) if link_url else None
        found = []
        for tweet in data.get("data") or []:
            if wanted_link:
                links = {
                    normalise_url(u.get(key) or "")
                    for u in (tweet.get("entities") or {}).get("urls", [])
                    for key in ("expanded_url", "unwound_url")
                }
                matches = wanted_link in links
            else:
                matches = bool(wanted_text) and normalise_text(tweet.get("text", "")) == wanted_text
            if matches:
                remote_id = str(tweet["id"])
                handle = usernames.get(tweet.get("author_id")) or author_handle
                found.append(PublishedPost(remote_id, self.post_url(remote_id, handle), _parse_time(tweet.get("created_at"))))
        return sorted(found, key=lambda post: (post.created_at is None, post.created_at or since))

    def fetch_metrics(
        self, *, remote_ids: list[str], token: TokenSet | str | None = None
    ) -> dict[str, PostMetrics]:
        """Public metrics, ≤ 100 ids a call, with the app-only bearer token (the author's
        token only when no app token is configured)."""
        self.unavailable = {}
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
            data = self._get(
                "/2/tweets",
                bearer,
                {"ids": ",".join(chunk), "tweet.fields": "public_metrics"},
                app_auth=bearer == self.config.app_bearer_token,
            )
            for tweet in data.get("data") or []:
                metrics = self._metrics(tweet)
                results[metrics.remote_id] = metrics
            for error in data.get("errors") or []:
                failed = str(error.get("resource_id") or error.get("value") or "")
                if failed:
                    self.unavailable[failed] = str(error.get("detail") or error.get("title") or "unavailable")
            for missing in set(chunk) - results.keys() - self.unavailable.keys():
                self.unavailable[missing] = "not returned by X"
        return results

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
