"""A sandbox that remembers: state kept in a JSON file across restarts (``make run``)."""

import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from sandbox import SandboxConfig, SandboxServer
from sandbox.management.commands.run_sandbox import build_server, default_state_file

from .helpers import (
    TIMEOUT,
    X_ID,
    X_SECRET,
    li_analytics,
    li_post,
    linkedin_connect,
    x_connect,
    x_lookup,
    x_me,
    x_post,
)

Start = Callable[..., SandboxServer]


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sandbox-state.json"


@pytest.fixture
def start(state_file: Path) -> Iterator[Start]:
    """Start a sandbox on ``state_file``; ``restart(old)`` stops it and starts a new one on the same file."""
    running: list[SandboxServer] = []

    def _start(**overrides: object) -> SandboxServer:
        server = SandboxServer(config=SandboxConfig(**overrides), state_file=state_file).start()  # type: ignore[arg-type]
        running.append(server)
        return server

    yield _start
    for server in running:
        server.stop()


def restart(old: SandboxServer, start: Start, **overrides: object) -> SandboxServer:
    old.stop()
    return start(**overrides)


def _saved(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_in_memory_unless_a_file_is_given(sandbox: SandboxServer, tmp_path: Path) -> None:
    assert sandbox.state_file is None and sandbox.state.path is None
    token = x_connect(sandbox)["access_token"]
    assert x_post(sandbox, token, "nowhere on disk").status_code == 201
    assert sandbox.save() is False
    assert requests.get(f"{sandbox.url}/_sandbox/state", timeout=TIMEOUT).json()["state_file"] is None


def test_connections_posts_and_post_pages_survive_a_restart(start: Start, state_file: Path) -> None:
    first = start(linkedin_partner_app=True)
    li = linkedin_connect(first, scopes=["openid", "profile", "email", "w_member_social", "r_member_postAnalytics"])
    x = x_connect(first, member="Liam Carter")
    urn = li_post(first, li["access_token"], "Before the restart").headers["x-restli-id"]
    x_id = x_post(first, x["access_token"], "Before the restart on X").json()["data"]["id"]
    assert state_file.exists()

    second = restart(first, start, linkedin_partner_app=True)
    assert [p.id for p in second.state.posts("linkedin")] == [urn]
    # Tokens issued before the restart are still accepted after it.
    assert li_post(second, li["access_token"], "After the restart").status_code == 201
    assert x_post(second, x["access_token"], "After the restart on X").status_code == 201
    assert x_me(second, x["access_token"]).json()["data"]["username"] == "LiamCarter"
    # "View post" links keep working.
    assert requests.get(f"{second.url}/linkedin/feed/update/{urn}/", timeout=TIMEOUT).status_code == 200
    assert requests.get(f"{second.url}/x/LiamCarter/status/{x_id}", timeout=TIMEOUT).status_code == 200
    # Metrics continue (they grow from the stored creation time).
    second.clock.advance(3600)
    assert li_analytics(second, li["access_token"], urn).json()["elements"][0]["count"] > 0
    assert x_lookup(second, [x_id], **{"tweet.fields": "public_metrics"}).json()["data"][0]["id"] == x_id
    # Refresh tokens survive too (LinkedIn partner app: not rotated; X: rotated once).
    li_refresh = requests.post(f"{second.url}/linkedin/oauth/v2/accessToken", timeout=TIMEOUT, data={
        "grant_type": "refresh_token", "refresh_token": li["refresh_token"],
        "client_id": "chorus-sandbox-linkedin", "client_secret": "sandbox-linkedin-secret"})
    assert li_refresh.status_code == 200
    x_refresh = requests.post(f"{second.url}/x/2/oauth2/token", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                              data={"grant_type": "refresh_token", "refresh_token": x["refresh_token"]})
    assert x_refresh.status_code == 200
    new_refresh = x_refresh.json()["refresh_token"]

    third = restart(second, start)
    again = requests.post(f"{third.url}/x/2/oauth2/token", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                          data={"grant_type": "refresh_token", "refresh_token": x["refresh_token"]})
    assert again.status_code == 400  # the rotated refresh token stays dead after a restart
    rotated = requests.post(f"{third.url}/x/2/oauth2/token", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                            data={"grant_type": "refresh_token", "refresh_token": new_refresh})
    assert rotated.status_code == 200
    assert len(third.state.posts("linkedin")) == 2 and len(third.state.posts("x")) == 2


def test_duplicate_checks_see_posts_from_before_the_restart(start: Start) -> None:
    first = start()
    li_token = linkedin_connect(first)["access_token"]
    x_token = x_connect(first)["access_token"]
    urn = li_post(first, li_token, "Said once").headers["x-restli-id"]
    assert x_post(first, x_token, "Said once").status_code == 201
    second = restart(first, start)
    duplicate = li_post(second, li_token, "Said once")
    assert duplicate.status_code == 422 and duplicate.json()["message"].endswith(urn)
    assert x_post(second, x_token, "Said once").status_code == 403


def test_token_expiry_and_clock_offset_survive(start: Start, state_file: Path) -> None:
    first = start()
    token = x_connect(first)["access_token"]  # expires in 7200 s
    first.clock.advance(7000)
    requests.post(f"{first.url}/_sandbox/clock", json={"advance": 100}, timeout=TIMEOUT)  # saved by the control API
    assert _saved(state_file)["clock"]["offset"] == pytest.approx(7100, abs=5)
    second = restart(first, start)
    assert second.clock.to_dict()["offset"] == pytest.approx(7100, abs=5)
    assert x_me(second, token).status_code == 200  # 100 s left
    second.clock.advance(101)
    assert x_me(second, token).status_code == 401
    saved_token = next(t for t in _saved(state_file)["tokens"] if t["value"] == token)
    assert saved_token["expires_at"] == pytest.approx(saved_token["issued_at"] + 7200)  # absolute times


def test_a_post_is_on_disk_before_the_client_hears_back(start: Start, state_file: Path) -> None:
    sandbox = start()
    token = x_connect(sandbox)["access_token"]
    sandbox.faults.next("drop_after_accept", network="x", group="post")
    with pytest.raises(requests.ConnectionError):
        x_post(sandbox, token, "Kill me right after this")
    # No stop(), no save(): what a crash right now would leave behind.
    assert [p["raw_text"] for p in _saved(state_file)["posts"]["x"]] == ["Kill me right after this"]
    assert not [p for p in state_file.parent.iterdir() if p.name != state_file.name]  # no temporary files left


def test_missing_file_starts_fresh_and_is_created_on_the_first_change(start: Start, state_file: Path) -> None:
    assert not state_file.exists()
    sandbox = start()
    assert sandbox.state.posts("x") == []
    x_connect(sandbox)
    saved = _saved(state_file)
    assert saved["format"] == "chorus-sandbox-state" and saved["version"] == 1
    assert {t["network"] for t in saved["tokens"]} == {"x"}


@pytest.mark.parametrize("content", ["{not json", '{"format": "something else"}', '{"format": "chorus-sandbox-state", '
                                     '"version": 1, "members": [{"nope": 1}], "codes": [], "tokens": [], '
                                     '"images": [], "posts": {}}', ""])
def test_corrupt_file_starts_fresh_with_a_warning(
    start: Start, state_file: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    state_file.parent.mkdir(parents=True)
    state_file.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="sandbox"):
        sandbox = start()
    assert "unreadable" in caplog.text and "starting fresh" in caplog.text
    assert state_file.with_name(state_file.name + ".corrupt").read_text(encoding="utf-8") == content
    assert len(sandbox.state.members_of("x")) == len(sandbox.config.preset_members)
    token = x_connect(sandbox)["access_token"]
    assert x_post(sandbox, token, "a fresh start").status_code == 201
    assert _saved(state_file)["posts"]["x"][0]["raw_text"] == "a fresh start"


def test_reset_clears_the_file(start: Start, state_file: Path) -> None:
    sandbox = start()
    token = x_connect(sandbox)["access_token"]
    x_post(sandbox, token, "soon forgotten")
    assert _saved(state_file)["posts"]["x"]
    assert requests.post(f"{sandbox.url}/_sandbox/reset", timeout=TIMEOUT).status_code == 200
    saved = _saved(state_file)
    assert saved["posts"] == {"linkedin": [], "x": []} and saved["tokens"] == []
    again = restart(sandbox, start)
    assert again.state.posts("x", include_deleted=True) == [] and x_me(again, token).status_code == 401
    again.state.reset()  # the Python API removes the file outright
    assert not state_file.exists()


def test_images_and_deleted_posts_are_kept(start: Start) -> None:
    first = start()
    token = linkedin_connect(first)["access_token"]
    author = next(f"urn:li:person:{m.id}" for m in first.state.members_of("linkedin") if m.name == "Emma Employee")
    headers = {"Authorization": f"Bearer {token}", "LinkedIn-Version": "202510", "X-Restli-Protocol-Version": "2.0.0"}
    init = requests.post(f"{first.url}/linkedin/rest/images", params={"action": "initializeUpload"}, headers=headers,
                         json={"initializeUploadRequest": {"owner": author}}, timeout=TIMEOUT).json()["value"]
    requests.put(init["uploadUrl"], data=b"\x89PNG bytes", timeout=TIMEOUT,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    urn = li_post(first, token, "with a picture", content={"article": {
        "source": "https://chorus.example/a", "title": "A", "thumbnail": init["image"]}}).headers["x-restli-id"]
    gone = li_post(first, token, "to delete").headers["x-restli-id"]
    assert requests.delete(f"{first.url}/_sandbox/posts/linkedin/{gone}", timeout=TIMEOUT).status_code == 200
    second = restart(first, start)
    image_id = init["image"].rsplit(":", 1)[-1]
    media = requests.get(f"{second.url}/linkedin/media/{image_id}", timeout=TIMEOUT)
    assert media.content == b"\x89PNG bytes" and media.headers["Content-Type"] == "image/png"
    assert requests.get(f"{second.url}/linkedin/feed/update/{urn}/", timeout=TIMEOUT).status_code == 200
    assert requests.get(f"{second.url}/linkedin/feed/update/{gone}/", timeout=TIMEOUT).status_code == 404


def test_parallel_posts_all_reach_the_file(start: Start) -> None:
    first = start()
    token = x_connect(first)["access_token"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda i: x_post(first, token, f"parallel {i}").status_code, range(20)))
    assert codes == [201] * 20
    second = restart(first, start)
    assert sorted(p.raw_text for p in second.state.posts("x")) == sorted(f"parallel {i}" for i in range(20))
    new_id = x_post(second, token, "one more").json()["data"]["id"]
    assert new_id not in {p.id for p in second.state.posts("x")[:-1]}


def test_management_command_state_file_options(tmp_path: Path, settings) -> None:  # noqa: ANN001
    settings.VAR_DIR = tmp_path / "var"
    assert default_state_file() == tmp_path / "var" / "sandbox-state.json"
    path = tmp_path / "state.json"
    server = build_server({"port": 0, "state_file": str(path)})
    try:
        assert server.state_file == path
        server.state.member("x", "Someone New")
        assert server.save() is True and path.exists()
    finally:
        server.stop()
    fresh = build_server({"port": 0, "state_file": str(path), "fresh": True})
    try:
        assert not path.exists() and fresh.state.posts("x") == []
    finally:
        fresh.stop()
    memory = build_server({"port": 0, "state_file": ""})
    try:
        assert memory.state_file is None
    finally:
        memory.stop()


def test_run_sandbox_reports_its_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command as ``make run`` starts it (serving replaced by an immediate Ctrl-C)."""
    from io import StringIO

    from django.core.management import call_command

    def interrupted(self: SandboxServer) -> None:
        self.state.member("linkedin", "Started Once")
        self.stop()
        raise KeyboardInterrupt

    monkeypatch.setattr(SandboxServer, "serve_forever", interrupted)
    path = tmp_path / "state.json"
    out = StringIO()
    call_command("run_sandbox", "--port", "0", "--state-file", str(path), stdout=out)
    assert f"State file    {path}" in out.getvalue() and "sandbox stopped" in out.getvalue()
    assert any(m["name"] == "Started Once" for m in _saved(path)["members"])
    memory = StringIO()
    call_command("run_sandbox", "--port", "0", "--state-file", "", stdout=memory)
    assert "in memory only" in memory.getvalue()
