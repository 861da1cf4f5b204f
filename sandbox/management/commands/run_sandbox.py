"""Run the sandbox LinkedIn and X in the foreground (``make run`` starts it next to the web).

Faults can be set at start -- flags, or the environment: SANDBOX_FAULTS holds the JSON of
``POST /_sandbox/faults`` or ``;``-separated ``--fault`` specs, SANDBOX_CONFIG the JSON of
``POST /_sandbox/config`` -- and changed later over HTTP while Chorus is running.

Members, tokens, posts and the clock offset are kept in ``--state-file`` (default
``var/sandbox-state.json``), so restarting ``make run`` keeps employees' connections and
"view post" links working; ``--state-file ''`` keeps everything in memory, ``--fresh``
starts from an empty state.
"""

import json
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.site import demo_site
from sandbox import FAULT_KINDS, SandboxConfig, SandboxServer, parse_fault_spec
from sandbox import config as sandbox_defaults


def _setting(name: str, default: str) -> str:
    """Use Chorus's own setting when it points at the sandbox, so both sides always agree."""
    value = getattr(settings, name, "") if getattr(settings, "NETWORKS_SANDBOX", False) else ""
    return value or default


def build_server(options: dict[str, Any], environ: dict[str, str] | None = None) -> SandboxServer:
    """A configured, not yet started server from command options and the environment."""
    environ = os.environ if environ is None else environ
    config = SandboxConfig(
        host=options.get("host") or "127.0.0.1",
        seed=options.get("seed") or 0,
        quiet=not options.get("log_requests"),
        linkedin_client_id=_setting("LINKEDIN_CLIENT_ID", sandbox_defaults.LINKEDIN_CLIENT_ID),
        linkedin_client_secret=_setting("LINKEDIN_CLIENT_SECRET", sandbox_defaults.LINKEDIN_CLIENT_SECRET),
        x_client_id=_setting("X_CLIENT_ID", sandbox_defaults.X_CLIENT_ID),
        x_client_secret=_setting("X_CLIENT_SECRET", sandbox_defaults.X_CLIENT_SECRET),
        x_app_bearer_token=_setting("X_APP_BEARER_TOKEN", sandbox_defaults.X_APP_BEARER_TOKEN),
        linkedin_partner_app=bool(options.get("linkedin_partner")),
        x_public_client=bool(options.get("x_public_client")),
        x_legacy_429_body=bool(options.get("x_legacy_429")),
    )
    state_file = options.get("state_file") or None
    try:
        for source in (environ.get("SANDBOX_CONFIG"), options.get("config")):
            if source:
                config.update(json.loads(source))
        if state_file and options.get("fresh"):
            Path(state_file).unlink(missing_ok=True)
        server = SandboxServer(port=options.get("port") or 0, config=config, state_file=state_file)
        for source in (environ.get("SANDBOX_FAULTS"), options.get("faults_json")):
            if source and source.lstrip().startswith("{"):
                server.faults.update(json.loads(source))
            elif source:  # "spec; spec": the compact --fault form, handy in a Procfile
                server.faults.update({"add": [parse_fault_spec(s) for s in source.split(";") if s.strip()]})
        knobs = {
            "latency_ms": options.get("latency_ms"),
            "error_rate": options.get("fault_rate"),
            "hang_seconds": options.get("hang_seconds"),
        }
        server.faults.update({k: v for k, v in knobs.items() if v is not None})
        for spec in options.get("fault") or []:
            server.faults.add(**parse_fault_spec(spec))
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise CommandError(f"invalid sandbox option: {exc}") from exc
    return server


def default_state_file() -> Path:
    var_dir = getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var"
    return Path(var_dir) / "sandbox-state.json"


class Command(BaseCommand):
    help = "Start the sandbox LinkedIn and X networks (wire-compatible fakes with fault injection)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=getattr(settings, "SANDBOX_PORT", 8765))
        parser.add_argument("--seed", type=int, default=0, help="seed of the fault RNG (repeatable runs)")
        parser.add_argument("--latency-ms", type=int, default=None, help="added to every API request")
        parser.add_argument("--fault-rate", type=float, default=None, help="probability of a random 5xx")
        parser.add_argument("--hang-seconds", type=float, default=None, help="how long 'timeout' faults hang")
        parser.add_argument(
            "--fault", action="append", metavar="SPEC",
            help="repeatable: kind[,network=x|linkedin][,group=oauth|post|...][,count=N][,probability=P][,status=S]",
        )
        parser.add_argument("--faults-json", help="JSON as for POST /_sandbox/faults")
        parser.add_argument("--config", help="JSON of SandboxConfig fields, as for POST /_sandbox/config")
        parser.add_argument("--linkedin-partner", action="store_true", help="issue LinkedIn refresh tokens")
        parser.add_argument("--x-public-client", action="store_true", help="X token endpoint without Basic auth")
        parser.add_argument("--x-legacy-429", action="store_true", help="X 429 in the old errors[] shape")
        parser.add_argument("--log-requests", action="store_true")
        parser.add_argument(
            "--state-file", default=str(default_state_file()), metavar="PATH",
            help="JSON file that keeps members, tokens, posts and the clock across restarts "
                 "(default: var/sandbox-state.json; '' keeps everything in memory)",
        )
        parser.add_argument("--fresh", action="store_true", help="delete the state file first: start empty")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(
            level=logging.INFO if options["log_requests"] else logging.WARNING,
            format="%(asctime)s sandbox %(message)s",
        )
        server = build_server(options)

        server.mount("/site", demo_site)  # the demo company's website, linked from demo content
        cfg, url = server.config, server.url
        write = self.stdout.write
        write(f"Sandbox networks on {url}  (Ctrl-C stops)")
        write(f"  LinkedIn app  client_id={cfg.linkedin_client_id}  client_secret={cfg.linkedin_client_secret}"
              f"  partner(refresh tokens)={cfg.linkedin_partner_app}")
        write(f"                authorize {url}/linkedin/oauth/v2/authorization   API {url}/linkedin")
        write(f"  X app         client_id={cfg.x_client_id}  client_secret={cfg.x_client_secret}"
              f"  app bearer={cfg.x_app_bearer_token}")
        write(f"                authorize {url}/x/i/oauth2/authorize   API {url}/x")
        write(f"  Demo site     {url}/site/  (articles the demo content links to; RSS at {url}/site/feed.xml)")
        write(f"  Members       {', '.join(cfg.preset_members)} (or type any name on the consent page)")
        faults = server.faults.to_dict()
        write(f"  Faults        latency_ms={faults['latency_ms']} error_rate={faults['error_rate']} "
              f"hang_seconds={faults['hang_seconds']} rules={len(faults['rules'])}; kinds: {', '.join(FAULT_KINDS)}")
        write(f"  Control       {url}/_sandbox/state  /_sandbox/faults  /_sandbox/clock  /_sandbox/config  "
              "/_sandbox/requests  /_sandbox/reset")
        if server.state_file is not None:
            counts = server.state.snapshot()["counts"]
            write(f"  State file    {server.state_file}  (kept across restarts; {counts['linkedin']['posts']} LinkedIn "
                  f"and {counts['x']['posts']} X posts, {counts['linkedin']['active_tokens'] + counts['x']['active_tokens']}"
                  " active tokens)")
        else:
            write("  State         in memory only (forgotten when the sandbox stops)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            write("sandbox stopped")
