"""What every handler gets: the configuration, state, faults and clock of one server.

A ``Route`` names the endpoint group it belongs to, so faults can target "post" or
"metrics" without knowing URLs.
"""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import Clock
from .config import SandboxConfig
from .faults import Faults
from .state import SandboxState
from .web import Request, Response


@dataclass
class Sandbox:
    config: SandboxConfig
    state: SandboxState
    faults: Faults
    clock: Clock
    stopping: threading.Event = field(default_factory=threading.Event)

    def base_url(self, request: Request) -> str:
        return request.base_url(self.config.public_url)

    def now(self) -> float:
        return self.clock.now()


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    network: str
    group: str
    handler: Handler


def route(method: str, path: str, network: str, group: str, handler: Handler) -> Route:
    """``path`` is a regex without anchors; named groups become handler keyword arguments."""
    return Route(method, re.compile(f"^{path}$"), network, group, handler)
