"""Headless Chromium for the browser tests: Debian's package, driven by Playwright."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home, which this closed
# network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright: Playwright) -> Browser:
    """Chromium, or a clear failure saying how to install it (CI installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}: `apt-get install -y chromium`.")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def employee_with_linkedin(networks, settings, live_server):
    """Ann, an employee whose LinkedIn is connected through the sandbox's OAuth flow (X is
    not), with links pointing at the live server."""
    from tests.factories import UserFactory
    from tests.support import connect_account

    settings.SITE_URL = live_server.url
    user = UserFactory(full_name="Ann Lee", email="ann@example.com")
    connect_account(user, "linkedin", networks)
    return user


def axe_serious(results) -> list[str]:
    """The serious and critical violations in an axe-playwright-python result, readable."""
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def my_shares_after_sharing(base: str):
    """My shares as the share dialog lands on it (``?shared=<ids>`` names the new shares)."""
    import re

    return re.compile(re.escape(f"{base}/shares/") + r"(\?shared=[0-9,]+)?$")
