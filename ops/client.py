"""HTTP and database helpers shared by the smoke journey and the fault suite: a logged-in
portal session, the share dialog as a browser fills it in, the API with a personal token,
and what the database and the sandbox networks say about shares."""

from __future__ import annotations

import json
import re
import sys
import uuid
from typing import Any

import psycopg
import requests
from bs4 import BeautifulSoup

from ops.stack import DEMO_PASSWORD, Stack


def landed_on_my_shares(answer: requests.Response) -> bool:
    """The share dialog saved the shares: a redirect to My shares (``/shares/?shared=<ids>``)."""
    from urllib.parse import urlsplit

    return answer.status_code == 302 and urlsplit(answer.headers.get("Location", "")).path.endswith("/shares/")

TERMINAL = {"posted", "failed", "unconfirmed", "cancelled"}
SHARE_LINK = re.compile(r"/share/(\d+)/")


class PortalError(Exception):
    """The portal answered something other than what a browser would expect."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def _form_fields(form: Any) -> dict[str, Any]:
    """What a browser would send for ``form`` as rendered (hidden fields, filled boxes)."""
    data: dict[str, Any] = {}
    for field in form.find_all(["input", "textarea"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        kind = (field.get("type") or "text").lower()
        if kind in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        if field.name == "textarea":
            data[name] = field.text
        else:
            data[name] = field.get("value", "")
    return data


class NotOffered(PortalError):
    """The share dialog does not offer the network (not connected, or needs reconnecting):
    a refusal a person sees before sending anything."""


class Portal:
    """A person in the portal: a session as a browser keeps it."""

    def __init__(self, base_url: str, email: str, *, timeout: float = 30) -> None:
        self.base = base_url
        self.email = email
        self.timeout = timeout
        self.http = requests.Session()

    def login(self) -> None:
        page = self.http.get(f"{self.base}/accounts/login/", timeout=self.timeout)
        form = BeautifulSoup(page.text, "html.parser").find("input", {"type": "password"}).find_parent("form")
        data = _form_fields(form)
        password = form.find("input", {"type": "password"})["name"]
        login = next(f["name"] for f in form.find_all("input") if (f.get("type") or "text") in ("text", "email"))
        data.update({login: self.email, password: DEMO_PASSWORD})
        answer = self.http.post(page.url, data=data, timeout=self.timeout, allow_redirects=False,
                                headers={"Referer": page.url})
        if answer.status_code != 302:
            raise PortalError(f"login as {self.email} answered {answer.status_code}", answer.status_code)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=self.timeout, **kwargs)

    def feed_items(self) -> list[int]:
        page = self.get("/")
        if page.status_code != 200:
            raise PortalError(f"the feed answered {page.status_code}", page.status_code)
        return list(dict.fromkeys(int(m) for m in SHARE_LINK.findall(page.text)))

    def share(self, item_id: int, network: str, text: str) -> requests.Response:
        """Open the share dialog, tick ``network`` (or "Share again"), type ``text``, send.

        A 302 to "My shares" means saved; anything else is returned for the caller to judge."""
        path = f"/share/{item_id}/"
        page = self.get(path, allow_redirects=False)
        if page.status_code != 200:
            return page
        form = BeautifulSoup(page.text, "html.parser").find("form", class_="share-form")
        if form is None:
            raise PortalError(f"no share form on {path}", page.status_code)
        data = _form_fields(form)
        for name in ("networks", "share_again"):
            data.pop(name, None)
        boxes = {(box["name"], box["value"]) for box in form.find_all("input", {"type": "checkbox"})
                 if not box.has_attr("disabled")}
        choice = next((name for name in ("networks", "share_again") if (name, network) in boxes), None)
        if choice is None:
            raise NotOffered(f"{self.email} cannot tick {network} on {path}", 200)
        data[choice] = network
        data[f"text_{network}"] = text
        data["when"] = "now"
        return self.http.post(f"{self.base}{path}", data=data, timeout=self.timeout, allow_redirects=False,
                              headers={"Referer": page.url})


class Api:
    """The REST API with a personal token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30) -> None:
        self.base = f"{base_url}/api/v1"
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def feed(self) -> list[dict]:
        answer = self.http.get(f"{self.base}/feed/", params={"page_size": 100}, timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()["results"]

    def share(self, item_id: int, network: str, text: str) -> requests.Response:
        return self.http.post(f"{self.base}/shares/", json={
            "item": item_id, "networks": [network], "texts": {network: text}, "share_again": [network],
        }, headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=self.timeout)

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=self.timeout)


def api_token(stack: Stack, email: str, name: str) -> str:
    return stack.manage("create_api_token", "--email", email, "--name", name, "--scope", "read_write",
                        "--days", "1", timeout=300).strip()


def api_tokens(stack: Stack, emails: list[str], name: str) -> dict[str, str]:
    """Read-and-write tokens for many people in one process (``create_api_token`` is one
    Django start per person). The plain tokens travel over a pipe only."""
    code = (
        "import django, json, sys; django.setup()\n"
        "from accounts.models import User\n"
        "from accounts.services.api_tokens import api_token_create\n"
        "out = {}\n"
        "for user in User.objects.filter(email__in=sys.argv[2:]):\n"
        "    out[user.email] = api_token_create(user=user, name=sys.argv[1], scope='read_write',\n"
        "                                       expires_in_days=1).plain\n"
        "sys.stdout.write(json.dumps(out))\n"
    )
    result = stack.run([sys.executable, "-c", code, name, *emails], timeout=300)
    return json.loads(result.stdout)


def shares_marked(stack: Stack, marker: str) -> list[dict]:
    """Every share whose text carries ``marker``, read straight from PostgreSQL."""
    with psycopg.connect(stack.database_url.replace("postgres://", "postgresql://"), connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT s.id, s.status, s.network, s.remote_id, s.text, s.link_code, s.error_code, u.email "
            "FROM advocacy_share s JOIN accounts_user u ON u.id = s.user_id WHERE s.text LIKE %s ORDER BY s.id",
            (f"%{marker}%",),
        ).fetchall()
    keys = ("id", "status", "network", "remote_id", "text", "link_code", "error_code", "email")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def sandbox_posts(stack: Stack) -> dict[str, list[dict]]:
    """The posts on the sandbox networks, deleted ones included, per network."""
    answer = requests.get(f"{stack.sandbox_url}/_sandbox/state", timeout=60)
    answer.raise_for_status()
    return answer.json()["posts"]


def sandbox_faults(stack: Stack, payload: dict | None = None, *, clear: bool = False) -> dict:
    if clear:
        answer = requests.delete(f"{stack.sandbox_url}/_sandbox/faults", timeout=30)
    else:
        answer = requests.post(f"{stack.sandbox_url}/_sandbox/faults", json=payload or {}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _carries(post: dict, marker: str) -> bool:
    """The post's text holds the marker (LinkedIn's raw text escapes punctuation: check both)."""
    return marker in post["text"] or marker in post["raw_text"]


def sandbox_requests(stack: Stack) -> dict[str, dict[str, int]]:
    """Requests each endpoint group of the sandbox received, and how many a fault answered."""
    answer = requests.get(f"{stack.sandbox_url}/_sandbox/requests", timeout=30)
    answer.raise_for_status()
    body = answer.json()
    return {"requests": body.get("requests", {}), "faulted": body.get("faulted", {})}


def verify_posts(shares: list[dict], posts: dict[str, list[dict]], marker_of: Any) -> dict[str, Any]:
    """The design's check: each posted share has a post of its own (its id exists on the
    network, carries the share's marker, and no other share claims it); no share's
    marker appears in more than one post."""
    by_id = {(net, p["id"]): p for net, items in posts.items() for p in items}
    claimed: set[tuple[str, str]] = set()
    wrong: list[int] = []
    for share in sorted(shares, key=lambda s: s["id"]):
        if share["status"] != "posted":
            continue
        key = (share["network"], share["remote_id"])
        post = by_id.get(key)
        if post is None or post.get("deleted") or not _carries(post, marker_of(share)) or key in claimed:
            wrong.append(share["id"])
        else:
            claimed.add(key)
    duplicates = 0
    for share in shares:
        marker = marker_of(share)
        found = sum(1 for p in posts.get(share["network"], []) if _carries(p, marker))
        duplicates += max(0, found - 1)
    return {"posted_without_own_post": wrong, "duplicates": duplicates}
