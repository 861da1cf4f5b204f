"""LinkedIn and X: app credentials, endpoints and limits.

Base URLs are settings so that pointing Chorus at the real services (or at the
sandbox networks) is configuration, not code. With ``NETWORKS_SANDBOX=1`` (the
default for ``make run``) every URL points at the local sandbox server.
"""

from .env import DEBUG, env

# Default (connect, read) timeout in seconds for every outbound request.
OUTBOUND_HTTP_TIMEOUT: tuple[float, float] = tuple(
    env.list("OUTBOUND_HTTP_TIMEOUT", cast=float, default=[5.0, 20.0])
)  # type: ignore[assignment]

NETWORKS_SANDBOX: bool = env.bool("NETWORKS_SANDBOX", default=DEBUG)
SANDBOX_PORT: int = env.int("SANDBOX_PORT", default=8765)
# Follows SANDBOX_PORT (make run starts the sandbox there), unless set itself.
SANDBOX_URL: str = env.str("SANDBOX_URL", default=f"http://127.0.0.1:{SANDBOX_PORT}").rstrip("/")

# --- LinkedIn (Sign In with LinkedIn using OpenID Connect + Share on LinkedIn) ---
LINKEDIN_CLIENT_ID: str = env.str("LINKEDIN_CLIENT_ID", default="chorus-sandbox-linkedin" if NETWORKS_SANDBOX else "")
LINKEDIN_CLIENT_SECRET: str = env.str(
    "LINKEDIN_CLIENT_SECRET", default="sandbox-linkedin-secret" if NETWORKS_SANDBOX else ""
)
# www.linkedin.com/oauth/v2: authorization, accessToken, introspectToken, revoke
LINKEDIN_AUTH_URL: str = env.str(
    "LINKEDIN_AUTH_URL",
    default=f"{SANDBOX_URL}/linkedin/oauth/v2" if NETWORKS_SANDBOX else "https://www.linkedin.com/oauth/v2",
)
# api.linkedin.com: /v2/userinfo and the versioned /rest/... API
LINKEDIN_API_URL: str = env.str(
    "LINKEDIN_API_URL", default=f"{SANDBOX_URL}/linkedin" if NETWORKS_SANDBOX else "https://api.linkedin.com"
)
# Where a post can be seen: {LINKEDIN_WEB_URL}/feed/update/{urn}/
LINKEDIN_WEB_URL: str = env.str(
    "LINKEDIN_WEB_URL", default=f"{SANDBOX_URL}/linkedin" if NETWORKS_SANDBOX else "https://www.linkedin.com"
)
# LinkedIn-Version header (YYYYMM). Versions are retired after about a year: a 426 says so.
LINKEDIN_VERSION: str = env.str("LINKEDIN_VERSION", default="202510")
LINKEDIN_SCOPES: list[str] = env.list("LINKEDIN_SCOPES", default=["openid", "profile", "email", "w_member_social"])
# Only when the organisation's app is approved for the Community Management API.
LINKEDIN_POST_ANALYTICS: bool = env.bool("LINKEDIN_POST_ANALYTICS", default=NETWORKS_SANDBOX)
# Posts per member per day Chorus allows itself (LinkedIn's figure in circulation: 150).
LINKEDIN_MEMBER_DAILY_POSTS: int = env.int("LINKEDIN_MEMBER_DAILY_POSTS", default=150)

# --- X (API v2, OAuth 2.0 with PKCE) ---
X_CLIENT_ID: str = env.str("X_CLIENT_ID", default="chorus-sandbox-x" if NETWORKS_SANDBOX else "")
X_CLIENT_SECRET: str = env.str("X_CLIENT_SECRET", default="sandbox-x-secret" if NETWORKS_SANDBOX else "")
X_AUTHORIZE_URL: str = env.str(
    "X_AUTHORIZE_URL",
    default=f"{SANDBOX_URL}/x/i/oauth2/authorize" if NETWORKS_SANDBOX else "https://x.com/i/oauth2/authorize",
)
# api.x.com: /2/oauth2/token, /2/oauth2/revoke, /2/users/me, /2/tweets ...
X_API_URL: str = env.str("X_API_URL", default=f"{SANDBOX_URL}/x" if NETWORKS_SANDBOX else "https://api.x.com")
# Where a post can be seen: {X_WEB_URL}/{username}/status/{id}
X_WEB_URL: str = env.str("X_WEB_URL", default=f"{SANDBOX_URL}/x" if NETWORKS_SANDBOX else "https://x.com")
X_SCOPES: list[str] = env.list("X_SCOPES", default=["tweet.read", "tweet.write", "users.read", "offline.access"])
# App-only bearer token for public metrics polling.
X_APP_BEARER_TOKEN: str = env.str("X_APP_BEARER_TOKEN", default="sandbox-app-bearer" if NETWORKS_SANDBOX else "")
X_USER_POSTS_PER_15_MIN: int = env.int("X_USER_POSTS_PER_15_MIN", default=100)
X_APP_POSTS_PER_24_H: int = env.int("X_APP_POSTS_PER_24_H", default=10000)
# Pay-per-use estimates in US dollars (February 2026 prices).
X_COST_POST_WITH_URL: float = env.float("X_COST_POST_WITH_URL", default=0.20)
X_COST_POST: float = env.float("X_COST_POST", default=0.015)
X_COST_READ: float = env.float("X_COST_READ", default=0.005)

# --- Posting shares through outages (advocacy.services.posting and .breaker) ---
# A share whose network stays unavailable (5xx, timeouts, connection errors, an open
# circuit breaker) this long is failed ("… was unavailable for over an hour; press Retry");
# until then it is retried, never failed.
SHARE_RETRY_WINDOW_MINUTES: int = env.int("SHARE_RETRY_WINDOW_MINUTES", default=60)
# Backoff between one share's tries: the first wait, doubling up to the cap (seconds).
# With 30 and 600 an hour-long outage costs a share about 11 tries.
SHARE_RETRY_BASE_SECONDS: float = env.float("SHARE_RETRY_BASE_SECONDS", default=30.0)
SHARE_RETRY_CAP_SECONDS: float = env.float("SHARE_RETRY_CAP_SECONDS", default=600.0)
# Per-network circuit breaker (in Redis, shared by all workers): this many consecutive
# outage-type failures open it; shares then wait without calling the network. After the
# cool-down one probe share is let through; each failed probe doubles the cool-down, up to
# the maximum. A probe that never reports loses its turn after the lease (seconds).
SHARE_BREAKER_THRESHOLD: int = env.int("SHARE_BREAKER_THRESHOLD", default=5)
SHARE_BREAKER_COOLDOWN_SECONDS: float = env.float("SHARE_BREAKER_COOLDOWN_SECONDS", default=30.0)
SHARE_BREAKER_MAX_COOLDOWN_SECONDS: float = env.float("SHARE_BREAKER_MAX_COOLDOWN_SECONDS", default=300.0)
SHARE_BREAKER_PROBE_LEASE_SECONDS: float = env.float("SHARE_BREAKER_PROBE_LEASE_SECONDS", default=120.0)
# Held shares come back (and the stale sweep re-dispatches a network's shares) this many
# seconds apart, so a recovered network is not hit by the whole backlog at once.
SHARE_BREAKER_DRAIN_SPACING_SECONDS: float = env.float("SHARE_BREAKER_DRAIN_SPACING_SECONDS", default=1.0)
