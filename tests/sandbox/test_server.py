"""The server itself: concurrency, the inspection and control API, the management command."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from sandbox import SandboxConfig, SandboxServer
from sandbox.management.commands.run_sandbox import build_server

from .helpers import TIMEOUT, li_post, linkedin_connect, x_connect, x_post


def test_concurrent_posting_from_threads_is_safe(sandbox: SandboxServer) -> None:
    x_token = x_connect(sandbox)["access_token"]
    li_token = linkedin_connect(sandbox)["access_token"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        x_codes = list(pool.map(lambda i: x_post(sandbox, x_token, f"parallel {i}").status_code, range(30)))
        li_codes = list(pool.map(lambda i: li_post(sandbox, li_token, f"parallel {i}").status_code, range(30)))
        same = list(pool.map(lambda _: x_post(sandbox, x_token, "everyone at once").status_code, range(12)))
    assert x_codes == [201] * 30 and li_codes == [201] * 30
    assert sorted(same) == [201] + [403] * 11  # the duplicate check and the insert are atomic
    ids = [p.id for p in sandbox.state.posts("x")]
    assert len(ids) == len(set(ids)) == 31


def test_requests_are_served_concurrently(sandbox: SandboxServer) -> None:
    sandbox.faults.latency_ms = 400
    with ThreadPoolExecutor(max_workers=5) as pool:
        started = time.monotonic()
        list(pool.map(lambda _: requests.get(f"{sandbox.url}/x/2/users/me", timeout=TIMEOUT), range(5)))
        assert time.monotonic() - started < 1.5


def test_state_endpoint_lists_posts_with_urls(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox, member="Lucas Silva")["access_token"]
    post_id = x_post(sandbox, token, "inspect me").json()["data"]["id"]
    state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=TIMEOUT).json()
    assert state["counts"]["x"]["posts"] == 1
    (post,) = state["posts"]["x"]
    assert post["id"] == post_id and post["author_name"] == "Lucas Silva" and post["text"] == "inspect me"
    assert post["url"] == f"{sandbox.url}/x/LucasSilva/status/{post_id}"
    assert "inspect me" in requests.get(sandbox.url + "/", timeout=TIMEOUT).text


def test_clock_config_and_reset_over_http(sandbox: SandboxServer) -> None:
    before = sandbox.clock.now()
    moved = requests.post(f"{sandbox.url}/_sandbox/clock", json={"advance": 3600}, timeout=TIMEOUT).json()
    assert moved["now"] >= before + 3600
    config = requests.post(f"{sandbox.url}/_sandbox/config", json={"x_legacy_429_body": True}, timeout=TIMEOUT)
    assert config.status_code == 200 and sandbox.config.x_legacy_429_body is True
    wrong = requests.post(f"{sandbox.url}/_sandbox/config", json={"no_such_field": 1}, timeout=TIMEOUT)
    assert wrong.status_code == 400
    token = x_connect(sandbox)["access_token"]
    x_post(sandbox, token, "to be forgotten")
    assert requests.post(f"{sandbox.url}/_sandbox/reset", timeout=TIMEOUT).status_code == 200
    assert sandbox.state.posts("x") == []


def test_context_manager_and_unknown_routes() -> None:
    with SandboxServer(config=SandboxConfig()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        missing = requests.get(f"{server.url}/x/2/nothing", timeout=TIMEOUT)
        assert missing.status_code == 404 and missing.json()["status"] == 404
        wrong_method = requests.put(f"{server.url}/x/2/tweets", timeout=TIMEOUT)
        assert wrong_method.status_code == 405


def test_management_command_builds_a_configured_server() -> None:
    environ = {"SANDBOX_FAULTS": json.dumps({"latency_ms": 5}), "SANDBOX_CONFIG": json.dumps({"x_code_ttl": 10})}
    server = build_server(
        {"port": 0, "fault_rate": 0.1, "fault": ["drop_after_accept,network=x,count=1"], "linkedin_partner": True},
        environ,
    )
    try:
        assert server.config.linkedin_client_id == "chorus-sandbox-linkedin"
        assert server.config.x_client_secret == "sandbox-x-secret"
        assert server.config.x_app_bearer_token == "sandbox-app-bearer"
        assert server.config.linkedin_partner_app and server.config.x_code_ttl == 10.0
        faults = server.faults.to_dict()
        assert faults["latency_ms"] == 5 and faults["error_rate"] == 0.1
        assert faults["rules"][0]["kind"] == "drop_after_accept"
    finally:
        server.stop()
    compact = build_server({"port": 0}, {"SANDBOX_FAULTS": "error,group=post,count=2; latency,latency_ms=50"})
    try:
        assert [r.kind for r in compact.faults.rules] == ["error", "latency"]
    finally:
        compact.stop()
