"""The API tokens page in a real browser, under the real CSP: make a token, copy it with the
Copy button (static/js/copy-token.js, no inline script), revoke it. No console error and no
`securitypolicyviolation` on the way.

The ORM is used only before Playwright starts (its sync API runs an event loop in this
thread, and Django refuses database calls from a thread that has one).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import sync_playwright

from tests.browser import launch_chromium
from tests.chorus.test_csp_browser import RECORD_VIOLATIONS
from tests.conftest import free_port
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def test_make_copy_and_revoke_a_token_in_the_browser(live_server, settings, db):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # no Redis needed: the page degrades, nothing else
    UserFactory(email="ann@example.com", full_name="Ann Lee")
    base = live_server.url
    trouble: list[str] = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context()
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and trouble.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: trouble.append(f"page error: {e}"))

        page.goto(f"{base}{reverse('login')}")
        page.fill("input[name=username]", "ann@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}{reverse('home')}")

        page.goto(f"{base}{reverse('preferences')}")
        page.get_by_role("link", name="API tokens").click()
        page.wait_for_url(f"{base}{reverse('api_tokens')}")
        assert page.get_by_text("You have no API tokens yet.").is_visible()
        page.fill("input[name=name]", "Intranet widget")
        page.check("input[name=scope][value=read_write]")
        page.select_option("select[name=expires_in_days]", "30")
        page.get_by_role("button", name="Make token").click()
        page.wait_for_load_state("load")

        token = page.input_value("#new-token-value")
        assert token.startswith("chorus_")
        copy = page.get_by_role("button", name="Copy")
        assert copy.is_visible()  # shown by the script; hidden without it
        copy.click()
        page.wait_for_function("() => document.querySelector('[data-copy-from]').textContent === 'Copied'")
        assert page.evaluate("navigator.clipboard.readText()") == token
        assert page.locator("table.tokens tbody tr").count() == 1

        page.get_by_role("button", name="Revoke Intranet widget").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("“Intranet widget” is revoked").is_visible()
        assert page.locator("table.tokens .pill.bad").count() == 1
        assert token not in page.content()
        trouble += page.evaluate("window.__cspViolations || []")
        browser.close()

    assert trouble == []
