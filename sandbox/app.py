"""The WSGI application: routing, fault injection around every handler, and /_sandbox.

Order for each network request: latency, then a fault that answers instead of the
handler (or drops/hangs), then the handler under the state lock, then an "after" fault
that withholds a successful response. The control API under ``/_sandbox`` is never
faulted, so a test can always repair what it broke.
"""

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from . import linkedin_api, linkedin_oauth, x_api, x_oauth
from .context import Route, Sandbox
from .errors import fault_response, li_error, x_problem
from .pages import index_page
from .state import Post
from .web import BadJson, DropConnection, Request, Response, html_response, json_response

logger = logging.getLogger("sandbox")

ROUTES: list[Route] = [*linkedin_oauth.ROUTES, *linkedin_api.ROUTES, *x_oauth.ROUTES, *x_api.ROUTES]


def post_url(base: str, post: Post) -> str:
    return linkedin_api.post_url(base, post) if post.network == "linkedin" else x_api.post_url(base, post)


class SandboxApp:
    """``SandboxApp(ctx)`` is a WSGI callable serving both networks and the control API."""

    def __init__(self, ctx: Sandbox) -> None:
        self.ctx = ctx

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.handle(Request(environ))
        start_response(response.status_line(), response.headers)
        return [response.body]

    def handle(self, req: Request) -> Response:
        if req.path == "/" or req.path.startswith("/_sandbox/"):
            return self._control(req)
        found, allowed = self._match(req)
        if found is None:
            return _not_found(req, allowed)
        matched_route, params = found
        ctx = self.ctx
        decision = ctx.faults.before(matched_route.network, matched_route.group)
        if decision.latency_seconds:
            ctx.stopping.wait(decision.latency_seconds)
        if decision.rule is not None:
            if decision.rule.kind == "timeout":
                self._hang()
            if decision.rule.kind == "drop":
                raise DropConnection
            return fault_response(decision.rule, matched_route.network, matched_route.group, ctx.config, ctx.now())
        try:
            with ctx.state.lock:
                ctx.state.count_request(matched_route.network, matched_route.group)
                response = matched_route.handler(ctx, req, **params)
        except DropConnection:
            raise
        except Exception:  # a sandbox bug must show up as a readable 500, not a dead thread
            logger.exception("sandbox handler failed: %s %s", req.method, req.path)
            return json_response(500, {"status": 500, "message": "sandbox bug", "trace": traceback.format_exc()})
        if 200 <= response.status < 300:
            after = ctx.faults.after(matched_route.network, matched_route.group)
            if after is not None:
                if after.kind == "timeout_after_accept":
                    self._hang()
                raise DropConnection
        return response

    def _hang(self) -> None:
        """Hang past the client's read timeout (or until the server stops), then drop."""
        self.ctx.stopping.wait(self.ctx.faults.hang_seconds)
        raise DropConnection

    def _match(self, req: Request) -> tuple[tuple[Route, dict[str, str]] | None, list[str]]:
        allowed = []
        for candidate in ROUTES:
            match = candidate.pattern.match(req.path)
            if match is None:
                continue
            if candidate.method == req.method:
                return (candidate, match.groupdict()), []
            allowed.append(candidate.method)
        return None, allowed

    # --- /_sandbox control API ---
    def _control(self, req: Request) -> Response:
        ctx = self.ctx
        name = req.path.removeprefix("/_sandbox/").strip("/")
        try:
            payload = req.json() if req.method == "POST" and req.body else {}
        except BadJson as exc:
            return json_response(400, {"error": f"invalid JSON: {exc}"})
        try:
            if req.path == "/":
                base = ctx.base_url(req)
                posts = sorted(
                    (p for net in ("linkedin", "x") for p in ctx.state.posts(net)), key=lambda p: -p.created_at
                )
                return html_response(200, index_page((p, post_url(base, p)) for p in posts[:50]))
            if name == "health":
                return json_response(200, {"ok": True})
            if name == "state":
                snapshot = ctx.state.snapshot()
                base = ctx.base_url(req)
                for net, posts in snapshot["posts"].items():
                    for item in posts:
                        item["url"] = post_url(base, ctx.state.post(net, item["id"]))  # type: ignore[arg-type]
                return json_response(200, snapshot)
            if name == "reset" and req.method == "POST":
                ctx.state.reset()
                ctx.faults.clear()
                return json_response(200, {"ok": True})
            if name == "faults":
                if req.method == "DELETE":
                    ctx.faults.clear()
                elif req.method == "POST":
                    ctx.faults.update(payload)
                return json_response(200, ctx.faults.to_dict())
            if name == "clock":
                if req.method == "POST":
                    self._clock(payload)
                return json_response(200, ctx.clock.to_dict())
            if name == "config":
                if req.method == "POST":
                    with ctx.state.lock:
                        ctx.config.update(payload)
                return json_response(200, ctx.config.to_dict())
        except (TypeError, ValueError) as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(404, {"error": f"no control endpoint {req.method} {req.path}"})

    def _clock(self, payload: dict[str, Any]) -> None:
        clock = self.ctx.clock
        if payload.get("reset"):
            clock.reset()
        if "set" in payload:
            clock.set(float(payload["set"]))
        if "advance" in payload:
            clock.advance(float(payload["advance"]))
        if payload.get("freeze") is True:
            clock.freeze()
        elif payload.get("freeze") is False:
            clock.unfreeze()


def _not_found(req: Request, allowed: list[str]) -> Response:
    status = 405 if allowed else 404
    message = "Method Not Allowed" if allowed else "Not Found"
    extra = [("Allow", ", ".join(sorted(set(allowed))))] if allowed else []
    if req.path.startswith("/x/"):
        return x_problem(status, message, f"{message}: {req.method} {req.path}").with_headers(extra)
    return li_error(status, f"{message}: {req.method} {req.path}").with_headers(extra)
