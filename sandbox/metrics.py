"""Engagement that grows after a post, deterministically, so polling has something to find.

Every count is a fixed fraction of the impressions, and impressions rise like
``plateau * (1 - exp(-age / tau))``. The plateau and the fractions come from a hash of the
post id, so the same post at the same age always has the same numbers and no count ever
goes down as time passes (a client that sees a drop has a bug, not the sandbox).
"""

import hashlib
import math


def _fraction(post_id: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{post_id}".encode()).digest()
    return int.from_bytes(digest[:4]) / 2**32


def impressions(post_id: str, age_seconds: float, tau: float) -> int:
    if age_seconds <= 0:
        return 0
    plateau = 300 + int(_fraction(post_id, "plateau") * 4700)
    return int(plateau * (1 - math.exp(-age_seconds / max(tau, 1e-6))))


def _share(post_id: str, salt: str, low: float, high: float, base: int) -> int:
    return int(base * (low + (high - low) * _fraction(post_id, salt)))


def linkedin_metrics(post_id: str, age_seconds: float, tau: float) -> dict[str, int]:
    """IMPRESSION, MEMBERS_REACHED, REACTION, COMMENT, RESHARE of a member post."""
    seen = impressions(post_id, age_seconds, tau)
    return {
        "IMPRESSION": seen,
        "MEMBERS_REACHED": _share(post_id, "reached", 0.55, 0.85, seen),
        "REACTION": _share(post_id, "reaction", 0.01, 0.05, seen),
        "COMMENT": _share(post_id, "comment", 0.001, 0.006, seen),
        "RESHARE": _share(post_id, "reshare", 0.001, 0.004, seen),
    }


def x_metrics(post_id: str, age_seconds: float, tau: float) -> dict[str, int]:
    """Public and private counts of a post (the caller picks which to show)."""
    seen = impressions(post_id, age_seconds, tau)
    return {
        "impression_count": seen,
        "like_count": _share(post_id, "like", 0.005, 0.03, seen),
        "retweet_count": _share(post_id, "retweet", 0.001, 0.005, seen),
        "reply_count": _share(post_id, "reply", 0.0005, 0.004, seen),
        "quote_count": _share(post_id, "quote", 0.0, 0.002, seen),
        "bookmark_count": _share(post_id, "bookmark", 0.0005, 0.003, seen),
        "url_link_clicks": _share(post_id, "clicks", 0.002, 0.02, seen),
        "user_profile_clicks": _share(post_id, "profile", 0.001, 0.006, seen),
    }
