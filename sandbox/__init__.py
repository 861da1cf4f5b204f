"""Sandbox networks: a local LinkedIn and X that speak the real wire format, with faults.

Used by ``make run`` (``python manage.py run_sandbox``) so a newcomer can connect and share
without real credentials, and by tests over real HTTP on loopback. Plain Python and the
standard library only: nothing here imports Django or Chorus models.

    from sandbox import SandboxServer, SandboxConfig

    with SandboxServer(config=SandboxConfig(linkedin_partner_app=True)) as sandbox:
        sandbox.url                      # http://127.0.0.1:<port>
        sandbox.faults.next("drop_after_accept", network="x", group="post")
        sandbox.clock.advance(31)        # codes, tokens, windows and metrics follow
        sandbox.state.posts("x")         # what was really stored

    SandboxServer(state_file="var/sandbox-state.json")  # keeps members, tokens, posts, clock
                                                        # across restarts (default: memory only)

URL layout (base = sandbox.url): LinkedIn under ``/linkedin`` (``/oauth/v2/...``,
``/v2/userinfo``, ``/rest/...``, ``/feed/update/{urn}/``), X under ``/x``
(``/i/oauth2/authorize``, ``/2/...``, ``/{username}/status/{id}``).

Consent pages: a browser clicks Allow/Cancel; a headless test may add
``decision=allow&member=Emma+Employee`` (or ``name=Any Name``) to the authorize URL to get
the redirect straight away.

Control API (never faulted, never counted): ``GET /_sandbox/state``;
``GET|POST|DELETE /_sandbox/faults`` (``{"latency_ms", "error_rate", "hang_seconds", "seed",
"rules": [...], "add": [...], "clear": true}``); ``GET|POST /_sandbox/clock``
(``{"advance": s}``, ``{"set": epoch}``, ``{"freeze": bool}``, ``{"reset": true}``);
``GET|POST /_sandbox/config`` (any ``SandboxConfig`` field); ``GET /_sandbox/requests``
(requests seen per ``network.group`` since the last reset, faulted ones too) and
``DELETE /_sandbox/requests`` or ``POST {"reset": true}`` (return the counts, start a new
window); ``DELETE /_sandbox/posts/{linkedin|x}/{id}`` (the author deleted the post);
``POST /_sandbox/reset`` (also clears the state file); ``GET /_sandbox/health``.

Demo-seeded connections: ``sandbox.presets.preset_connection(network, name)`` gives a
remote id, handle and deterministic tokens that every sandbox accepts for that member.
"""

from .clock import Clock
from .config import SandboxConfig
from .faults import KINDS as FAULT_KINDS
from .faults import FaultRule, Faults, parse_fault_spec
from .server import SandboxServer
from .state import Post, SandboxState

__all__ = [
    "FAULT_KINDS",
    "Clock",
    "FaultRule",
    "Faults",
    "Post",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "parse_fault_spec",
]
