"""Which adapter serves which network. The rest of Chorus asks here, by name."""

from __future__ import annotations

from .base import NetworkAdapter
from .linkedin import LinkedInAdapter
from .types import NetworkConfig
from .x import XAdapter

NETWORKS: tuple[str, ...] = ("linkedin", "x")
_ADAPTERS: dict[str, type[NetworkAdapter]] = {"linkedin": LinkedInAdapter, "x": XAdapter}


def get_adapter(network: str, config: NetworkConfig | None = None) -> NetworkAdapter:
    """A fresh adapter for ``network``, configured from settings unless ``config`` is given.

    Fresh each time because adapters remember the last rate-limit headers they saw; a
    shared instance would mix up callers.
    """
    try:
        adapter_class = _ADAPTERS[network]
    except KeyError:
        raise ValueError(f"unknown network {network!r}; expected one of {', '.join(NETWORKS)}") from None
    return adapter_class(config or NetworkConfig.from_settings(network))
