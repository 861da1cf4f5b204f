"""The WSGI application: routing, fault injection around every handler, and /_sandbox.

Order for each network request: it is counted (``/_sandbox/requests``); a token armed by
``revoked_after_exchange`` gets its one 401; latency; a fault that answers instead of the
handler (or drops/hangs); the handler under the state lock, after which the state file is
written if anything changed (before the client hears back, so a restart right after a
post keeps it); then an "after" fault that withholds or replaces a successful response.
The control API under ``/_sandbox`` is never faulted, so a test can always repair what it
broke.
"""

import json
import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from . import linkedin_api, linkedin_oauth, x_api, x_oauth
from .context import Route, Sandbox
from .errors import fault_response, li_error, x_problem
from .faults import FaultRule
from .pages import index_page
from .state import Post
from .text import parse_little_text
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
        network, group = matched_route.network, matched_route.group
        ctx.state.count_request(network, group)
        if group == "profile" and ctx.faults.take_armed(network, req.bearer()):
            ctx.state.count_fault(network, group)
            return self._fault_response(FaultRule("revoked_after_exchange"), matched_route, req)
        decision = ctx.faults.before(network, group)
        if decision.latency_seconds:
            ctx.stopping.wait(decision.latency_seconds)
        if decision.rule is not None:
            ctx.state.count_fault(network, group)
            if decision.rule.kind == "timeout":
                self._hang()
            if decision.rule.kind == "drop":
                raise DropConnection
            return self._fault_response(decision.rule, matched_route, req)
        try:
            with ctx.state.lock:
                response = matched_route.handler(ctx, req, **params)
                ctx.state.save()
        except DropConnection:
            raise
        except Exception:  # a sandbox bug must show up as a readable 500, not a dead thread
            logger.exception("sandbox handler failed: %s %s", req.method, req.path)
            return json_response(500, {"status": 500, "message": "sandbox bug", "trace": traceback.format_exc()})
        if not 200 <= response.status < 300:
            return response
        if group == "oauth" and req.form.get("grant_type") == "authorization_code":
            self._note_exchange(network, response)
        after = ctx.faults.after(network, group, response.status)
        if after is None:
            return response
        ctx.state.count_fault(network, group)
        if after.kind == "timeout_after_accept":
            self._hang()
        if after.kind == "error_after_accept":
            return self._fault_response(after, matched_route, req)
        if after.kind == "body_only_id":
            created = response.header("x-restli-id")
            return json_response(201, {"id": created}, [("X-RestLi-Protocol-Version", "2.0.0")])
        raise DropConnection

    def _fault_response(self, rule: FaultRule, matched_route: Route, req: Request) -> Response:
        ctx, network = self.ctx, matched_route.network
        ids = [i for i in req.query.get("ids", "").split(",") if i] if rule.kind == "invalid_id" else None
        existing = self._latest_post(req, network) if rule.kind == "duplicate" else None
        return fault_response(
            rule, network, matched_route.group, ctx.config, ctx.now(), ids=ids, existing_post=existing
        )

    def _latest_post(self, req: Request, network: str) -> str | None:
        """The URN an injected LinkedIn duplicate names: the member's latest post with the same
        text (as LinkedIn names the post it matched), if there is one; else None (a placeholder)."""
        if network != "linkedin":
            return None
        try:
            body = req.json()
        except BadJson:
            return None
        commentary = body.get("commentary") if isinstance(body, dict) else None
        if not isinstance(commentary, str):
            return None
        wanted = parse_little_text(commentary).text
        with self.ctx.state.lock:
            token = self.ctx.state.token(req.bearer(), network)
            posts = self.ctx.state.posts(network, author_id=token.member_id) if token else []
            return next((p.id for p in reversed(posts) if p.text == wanted), None)

    def _note_exchange(self, network: str, response: Response) -> None:
        """A code exchange succeeded: ``revoked_after_exchange`` may arm the new access token."""
        try:
            access = json.loads(response.body).get("access_token")
        except (ValueError, AttributeError):
            return
        if isinstance(access, str):
            self.ctx.faults.arm_after_exchange(network, access)

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
                ctx.state.save()
                return json_response(200, {"ok": True})
            if name == "requests":
                if req.method == "GET":
                    return json_response(200, ctx.state.request_counts())
                if req.method == "DELETE" or (req.method == "POST" and payload.get("reset")):
                    return json_response(200, ctx.state.request_counts(reset=True))
            if name.startswith("posts/") and req.method == "DELETE":
                return self._delete_post(name.removeprefix("posts/"))
            if name == "faults":
                if req.method == "DELETE":
                    ctx.faults.clear()
                elif req.method == "POST":
                    ctx.faults.update(payload)
                return json_response(200, ctx.faults.to_dict())
            if name == "clock":
                if req.method == "POST":
                    self._clock(payload)
                    ctx.state.save()
                return json_response(200, ctx.clock.to_dict())
            if name == "config":
                if req.method == "POST":
                    with ctx.state.lock:
                        ctx.config.update(payload)
                return json_response(200, ctx.config.to_dict())
        except (TypeError, ValueError) as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(404, {"error": f"no control endpoint {req.method} {req.path}"})

    def _delete_post(self, rest: str) -> Response:
        """``DELETE /_sandbox/posts/{network}/{id}``: the author deleted it on the network."""
        network, _, post_id = rest.partition("/")
        post_id = unquote(post_id)
        if network not in ("linkedin", "x") or not post_id:
            return json_response(400, {"error": "expected /_sandbox/posts/linkedin/{urn} or /_sandbox/posts/x/{id}"})
        with self.ctx.state.lock:
            post = self.ctx.state.delete_post(network, post_id)
            self.ctx.state.save()
        if post is None:
            return json_response(404, {"error": f"no {network} post {post_id}"})
        return json_response(200, {"deleted": True, "post": post.to_dict()})

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
