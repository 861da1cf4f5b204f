"""The only code in Chorus that talks to LinkedIn and X.

Callers use ``get_adapter(network)`` and get our own dataclasses back and our own error
types out (see ``base``); nothing outside this package sees a provider's JSON.
"""

from .base import (
    AmbiguousPostError,
    AuthError,
    AuthorizationRequest,
    ConfigError,
    NetworkAdapter,
    NetworkConfig,
    NetworkError,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    RateLimit,
    RejectedError,
    TokenSet,
    TransientError,
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
    "PostMetrics",
    "PostRequest",
    "Profile",
    "PublishedPost",
    "RateLimit",
    "RejectedError",
    "TokenSet",
    "TransientError",
    "get_adapter",
]
