"""``SandboxServer``: the fake LinkedIn and X on a loopback port, one thread per request.

Standard library only (wsgiref + ThreadingMixIn). The request handler is extended in one
way: when the application raises ``DropConnection`` the socket is shut down without a
response, which is what a client sees when a network accepts a post and then the
connection breaks.

    with SandboxServer() as sandbox:
        requests.get(f"{sandbox.url}/_sandbox/state")
        sandbox.faults.next("drop_after_accept", network="x", group="post")
        sandbox.clock.advance(31)
        sandbox.state.posts("x")

    SandboxServer(state_file="var/sandbox-state.json")   # survives restarts
"""

import logging
import os
import socket
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .app import SandboxApp
from .clock import Clock
from .config import SandboxConfig
from .context import Sandbox
from .faults import Faults
from .state import SandboxState
from .web import DropConnection

logger = logging.getLogger("sandbox")


class _ServerHandler(ServerHandler):
    dropped = False

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DropConnection):
            self.dropped = True  # write nothing: the request handler closes the socket
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    timeout = 60  # a client that connects and sends nothing cannot hold a thread forever

    def handle(self) -> None:
        """WSGIRequestHandler.handle, plus: a dropped request closes the socket silently."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        if handler.dropped:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (base class signature)
        if not getattr(self.server, "quiet", True):
            logger.info("%s - %s", self.address_string(), format % args)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a hanging request never blocks stop()
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # the default backlog of 5 drops connections from parallel clients
    quiet = True


class SandboxServer:
    """Both fake networks on ``http://host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        port: int = 0,
        config: SandboxConfig | None = None,
        *,
        faults: Faults | None = None,
        clock: Clock | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        """``state_file``: keep members, tokens, posts and the clock offset in this JSON file
        across restarts (loaded now, written after every change); None keeps them in memory."""
        self.config = config or SandboxConfig()
        self.config.validate()
        self.clock = clock or Clock()
        cfg = self.config
        self.state = SandboxState(
            self.clock,
            cfg.preset_members,
            path=state_file,
            client_id_for=lambda network: cfg.linkedin_client_id if network == "linkedin" else cfg.x_client_id,
        )
        self.faults = faults or Faults(seed=self.config.seed)
        self.context = Sandbox(config=self.config, state=self.state, faults=self.faults, clock=self.clock)
        self.app = SandboxApp(self.context)
        self._httpd = _ThreadingWSGIServer((self.config.host, port), _RequestHandler)
        self._httpd.quiet = self.config.quiet
        self._httpd.set_app(self.app)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.config.host if self.config.host not in ("0.0.0.0", "") else "127.0.0.1"  # noqa: S104
        return f"http://{host}:{self.port}"

    def mount(self, prefix: str, app: Any) -> None:
        """Serve another WSGI app under ``prefix`` (``make run`` mounts the demo company site)."""
        inner = self._httpd.get_app()

        def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
            return inner(environ, start_response)

        self._httpd.set_app(dispatch)

    def start(self) -> "SandboxServer":
        """Serve in a background daemon thread; returns self for chaining."""
        if self._thread is None:
            self.context.stopping.clear()
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the management command)."""
        try:
            self._httpd.serve_forever()
        finally:
            self.context.stopping.set()
            self._httpd.server_close()
            self.state.save()

    def stop(self) -> None:
        """Stop serving; hanging requests are released and their connections dropped."""
        self.context.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self.state.save()

    @property
    def state_file(self) -> Path | None:
        return self.state.path

    def save(self) -> bool:
        """Write the state file now if anything changed (requests do this by themselves;
        call it after changing state or the clock from Python)."""
        return self.state.save()

    def reset(self) -> None:
        """Forget posts, tokens and faults (and clear the state file); keep the config and the port."""
        self.state.reset()
        self.faults.clear()
        self.state.save()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SandboxServer {self.url}>"
