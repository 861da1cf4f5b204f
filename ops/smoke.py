#!/usr/bin/env python3
"""The smoke journey against a running stack, over HTTP as a browser and an API client would.

/healthz answers 200; a demo advocate logs in and opens the feed; one share goes through the
portal's share dialog, one through the API with a personal token; both end *posted* and each
post exists on the sandbox network (carrying the share's text, claimed by no other share);
the share's tracked ``/r/`` link redirects to the article; a stylesheet is served with
``DEBUG=0`` (whitenoise, from the collected files).

Run by ``python ops/stack.py smoke`` (``make stack-smoke``), which starts the stack,
runs this and the backup/restore check, and stops it.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from ops.client import (  # noqa: E402
    TERMINAL,
    Api,
    Portal,
    api_token,
    landed_on_my_shares,
    sandbox_posts,
    shares_marked,
    verify_posts,
)
from ops.stack import Stack, say  # noqa: E402

ADVOCATE = "liam.carter@chorus.example"  # LinkedIn and X connections in the demo data
POST_DEADLINE = 120  # seconds for a share to be posted on an idle stack


class Smoke:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.results: list[tuple[str, bool, str]] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok, detail))
        sys.stdout.write(f"   {'ok  ' if ok else 'FAIL'} {name}{f' ({detail})' if detail else ''}\n")
        sys.stdout.flush()
        return ok

    def run(self) -> bool:
        stack = self.stack
        status, body = stack.healthz()
        self.check("GET /healthz answers 200", status == 200, f"{status} {body.get('down', '')}")

        portal = Portal(stack.url, ADVOCATE)
        portal.login()
        self.check(f"log in as {ADVOCATE}", True)
        items = portal.feed_items()
        if not self.check("the feed lists items to share", bool(items), f"{len(items)} items"):
            return False
        page = portal.get("/")
        self.static_served(page.text)

        marker = f"smoke-{uuid.uuid4().hex[:10]}"
        api = Api(stack.url, api_token(stack, ADVOCATE, f"stack smoke {marker}"))
        networks = {item["id"]: item["networks"] for item in api.feed()}
        item_id = next((i for i in items if {"linkedin", "x"} <= set(networks.get(i, []))), items[0])
        answer = portal.share(item_id, "linkedin", f"Worth a read: {marker}-web")
        self.check("share on LinkedIn through the share dialog", landed_on_my_shares(answer),
                   f"HTTP {answer.status_code} {answer.headers.get('Location', '')}")
        answer = api.share(item_id, "x", f"Worth a read: {marker}-api")
        self.check("share on X through the API", answer.status_code == 201, f"HTTP {answer.status_code}")

        shares = self.wait_terminal(marker, expected=2)
        posted = [s for s in shares if s["status"] == "posted"]
        self.check("both shares posted", len(posted) == 2,
                   ", ".join(f"{s['network']}: {s['status']} {s['error_code']}" for s in shares))
        verdict = verify_posts(shares, sandbox_posts(stack), marker_of=lambda s: s["text"].rsplit(" ", 1)[-1])
        self.check("each posted share has its own post on the sandbox",
                   not verdict["posted_without_own_post"] and not verdict["duplicates"], str(verdict))
        if posted:
            share = posted[0]
            answer = requests.get(f"{stack.url}/r/{share['link_code']}", allow_redirects=False, timeout=30,
                                  headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) chorus-smoke"})
            location = answer.headers.get("Location", "")
            self.check("the tracked /r/ link redirects to the article with UTM tags",
                       answer.status_code == 302 and "utm_medium=employee_advocacy" in location,
                       f"{answer.status_code} → {location[:80]}")
        detail = api.get("/shares/?page_size=5")
        self.check("the API lists the shares", detail.status_code == 200, f"HTTP {detail.status_code}")
        return all(ok for _, ok, _ in self.results)

    def static_served(self, html: str) -> None:
        sheets = [link.get("href") for link in BeautifulSoup(html, "html.parser").find_all("link", rel="stylesheet")]
        sheet = next((href for href in sheets if href and href.endswith(".css")), None)
        if not self.check("the feed links a stylesheet", sheet is not None, str(sheets[:3])):
            return
        answer = requests.get(f"{self.stack.url}{sheet}", timeout=30)
        self.check("static CSS served with DEBUG=0 (whitenoise)",
                   answer.status_code == 200 and answer.headers.get("Content-Type", "").startswith("text/css"),
                   f"{sheet}: {answer.status_code} {answer.headers.get('Content-Type')}")

    def wait_terminal(self, marker: str, *, expected: int) -> list[dict]:
        deadline = time.monotonic() + POST_DEADLINE
        shares: list[dict] = []
        while time.monotonic() < deadline:
            shares = shares_marked(self.stack, marker)
            if len(shares) >= expected and all(s["status"] in TERMINAL for s in shares):
                break
            time.sleep(1)
        return shares


def run(stack: Stack) -> bool:
    say(f"smoke journey against {stack.url}")
    try:
        return Smoke(stack).run()
    except Exception as exc:  # a smoke test reports, it does not crash the stack's cleanup
        sys.stdout.write(f"   FAIL the journey stopped: {type(exc).__name__}: {exc}\n")
        return False


if __name__ == "__main__":
    sys.stdout.write("Start the stack with it: python ops/stack.py smoke (make stack-smoke).\n")
    sys.exit(2)
