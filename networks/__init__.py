"""The only code in Chorus that talks to LinkedIn and X.

Callers use ``get_adapter(network)`` and get our own dataclasses back (``types``) and our
own error types out (``errors``); each network's adapter (``base.NetworkAdapter``) also
carries its policy: display name, price, budgets, how an ambiguous post is reconciled.
Nothing outside this package sees a provider's JSON. Import from here, not the modules.
"""

from .base import NetworkAdapter
from .errors import (
    AmbiguousPostError,
    AuthError,
    ConfigError,
    NetworkError,
    RejectedError,
    TransientError,
)
from .registry import NETWORKS, get_adapter
from .types import (
    AuthorizationRequest,
    NetworkConfig,
    PostBudget,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    RateLimit,
    TokenSet,
    display_name,
)

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
