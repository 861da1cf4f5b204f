"""What the sandbox networks are configured to be: apps, limits and wire-format variants.

Every point that NETWORKS.md marks as uncertain, or that differs between old and new API
versions, is a flag here, so a test can check that Chorus tolerates both forms. The
config can be changed on a running server (in Python, or over ``/_sandbox/config``).
"""

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

# Defaults must match chorus/settings/networks.py (sandbox mode).
LINKEDIN_CLIENT_ID = "chorus-sandbox-linkedin"
LINKEDIN_CLIENT_SECRET = "sandbox-linkedin-secret"  # noqa: S105  (public demo credential)
X_CLIENT_ID = "chorus-sandbox-x"
X_CLIENT_SECRET = "sandbox-x-secret"  # noqa: S105  (public demo credential)
X_APP_BEARER_TOKEN = "sandbox-app-bearer"  # noqa: S105  (public demo credential)

# People you can connect as with one click; any typed name works too.
PRESET_MEMBERS = ("Emma Employee", "Liam Carter", "Sofia Rossi", "Priya Nair", "Lucas Silva")

LINKEDIN_SCOPES = ("openid", "profile", "email", "w_member_social", "r_member_postAnalytics")
X_SCOPES = (
    "tweet.read", "tweet.write", "users.read", "offline.access", "media.write",
    "like.read", "follows.read", "list.read", "bookmark.read",
)


@dataclass
class SandboxConfig:
    """Behaviour of both fake networks. Times are seconds unless the name says otherwise."""

    host: str = "127.0.0.1"
    # Absolute base for URLs the sandbox hands out (image upload URLs); default: the
    # request's Host header, so it works whatever name Chorus uses to reach us.
    public_url: str | None = None
    seed: int = 0
    preset_members: tuple[str, ...] = PRESET_MEMBERS
    # Metric growth: counts rise like 1 - exp(-age / tau) towards a per-post plateau.
    metrics_tau: float = 3600.0
    quiet: bool = True  # no per-request log lines

    # --- LinkedIn ---
    linkedin_client_id: str = LINKEDIN_CLIENT_ID
    linkedin_client_secret: str = LINKEDIN_CLIENT_SECRET
    linkedin_app_name: str = "Chorus (sandbox)"
    linkedin_redirect_uris: tuple[str, ...] = ()  # empty: any redirect_uri is accepted
    linkedin_app_scopes: tuple[str, ...] = LINKEDIN_SCOPES  # products the app is approved for
    linkedin_partner_app: bool = False  # refresh tokens only for partner-approved apps
    linkedin_code_ttl: float = 60.0  # real: about 30 minutes
    linkedin_token_ttl: int = 5_184_000  # 60 days
    linkedin_refresh_ttl: int = 31_536_000  # 365 days, not extended by refreshing
    linkedin_oldest_active_version: str = "202506"  # older LinkedIn-Version values answer 426
    linkedin_retired_versions: tuple[str, ...] = ()
    linkedin_require_restli_header: bool = True
    linkedin_post_urn_kind: str = "share"  # "share", "ugcPost" or "alternate"
    linkedin_max_commentary: int = 3000
    linkedin_duplicate_window: float = 600.0
    linkedin_member_daily_posts: int = 150
    linkedin_app_daily_posts: int | None = None
    linkedin_upload_ttl: float = 86_400.0
    linkedin_legacy_metric_type: bool = False  # metricType as a one-key object

    # --- X ---
    x_client_id: str = X_CLIENT_ID
    x_client_secret: str = X_CLIENT_SECRET
    x_app_name: str = "Chorus (sandbox)"
    x_app_bearer_token: str = X_APP_BEARER_TOKEN
    x_redirect_uris: tuple[str, ...] = ()  # empty: any redirect_uri is accepted
    x_public_client: bool = False  # True: client_id in the body, no secret
    x_allow_plain_pkce: bool = False
    x_code_ttl: float = 30.0
    x_token_ttl: int = 7200
    x_max_weighted_length: int = 280
    x_too_long_status: int = 400  # reports show both 400 and 403
    x_duplicate_window: float | None = None  # None: a duplicate of any earlier post
    x_user_posts_per_window: int = 100
    x_user_post_window: float = 900.0
    x_user_posts_per_day: int = 2400
    x_app_posts_per_day: int = 10_000
    x_legacy_429_body: bool = False  # {"errors":[{"code":88,...}]} instead of a problem
    x_new_metric_names: bool = False  # adds repost_count etc. next to the classic names
    x_wrap_urls: bool = True  # like the real API, URLs come back as t.co links
    x_users_me_per_window: int = 75
    x_lookup_per_window: int = 300
    x_timeline_per_window: int = 900
    x_delete_per_window: int = 50

    extra: dict[str, Any] = field(default_factory=dict)

    def update(self, values: dict[str, Any]) -> None:
        """Set fields from JSON-ish values (lists become tuples); unknown names raise."""
        names = {f.name: f for f in dataclasses.fields(self)}
        for key, value in values.items():
            if key not in names:
                raise ValueError(f"unknown sandbox config field: {key}")
            current = getattr(self, key)
            if isinstance(current, tuple) and isinstance(value, list | tuple):
                value = tuple(value)
            elif isinstance(current, bool) and not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            elif isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            setattr(self, key, value)
        self.validate()

    def validate(self) -> None:
        if self.linkedin_post_urn_kind not in ("share", "ugcPost", "alternate"):
            raise ValueError("linkedin_post_urn_kind must be share, ugcPost or alternate")
        if not re.fullmatch(r"\d{6}", self.linkedin_oldest_active_version):
            raise ValueError("linkedin_oldest_active_version must be YYYYMM")
        if self.x_too_long_status not in (400, 403):
            raise ValueError("x_too_long_status must be 400 or 403")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
