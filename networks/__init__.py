"""The only code in Chorus that talks to LinkedIn and X.

Callers use ``get_adapter(network)`` and get our own dataclasses back and our own error
types out (see ``base``); nothing outside this package sees a provider's JSON. A network's
name for people is ``display_name(network)``, written once on its adapter.
"""

from .base import (
    AmbiguousPostError,
    AuthError,
    AuthorizationRequest,
    ConfigError,
    NetworkAdapter,
    NetworkConfig,
    NetworkError,
    PostBudget,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    RateLimit,
    RejectedError,
    TokenSet,
    TransientError,
    display_name,
)
from .registry import NETWORKS, get_adapter

__all__ = [
    "NETWORKS",
    "AmbiguousPostError",
    "AuthError",
    "AuthorizationRequest",
    "ConfigError",
    "NetworkAdapter",
    "NetworkConfig",
    "NetworkError",
    "PostBudget",
    "PostMetrics",
    "PostRequest",
    "Profile",
    "PublishedPost",
    "RateLimit",
    "RejectedError",
    "TokenSet",
    "TransientError",
    "display_name",
    "get_adapter",
]
