"""The strict Content-Security-Policy breaks nothing, in a real browser.

Headless Chromium walks the portal and the admin under the real policy (the live server
runs the real middleware) and listens for trouble: console errors and warnings (Chromium
logs every CSP refusal there), uncaught page errors, and `securitypolicyviolation` events
recorded by a listener installed before any page script runs. The scripts that matter are
exercised too: the share dialog's character counter and the admin's live post previews.

The ORM is used only before Playwright starts (its sync API runs an event loop in this
thread, and Django refuses database calls from a thread that has one).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, sync_playwright

from tests.browser import launch_chromium
from tests.factories import UserFactory, published_item

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def admin_user(db):
    return UserFactory(email="boss@example.com", full_name="Bo Boss", is_staff=True, is_superuser=True)


class Trouble:
    """Everything the browser complained about, page by page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: list[str] = []
        page.on("console", lambda m: m.type in ("error", "warning") and self.found.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.found.append(f"page error: {e}"))

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response.ok, (url, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.collect()

    def collect(self) -> None:
        self.page.wait_for_load_state("load")
        self.found += [f"{self.page.url}: {v}" for v in self.page.evaluate("window.__cspViolations || []")]


def test_portal_and_admin_run_under_the_policy_without_violations(admin_user, live_server):
    item = published_item(
        title="Our launch", url="https://example.com/story",
        texts=[("linkedin", "Proud of this launch"), ("x", "Proud of this launch")],
    )
    base = live_server.url

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        trouble = Trouble(page)

        trouble.visit(f"{base}{reverse('login')}")
        page.fill("input[name=username]", "boss@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}{reverse('home')}")
        trouble.collect()

        # Share dialog: the counter (static/js/share-counter.js) is live.
        trouble.visit(f"{base}{reverse('share_dialog', args=[item.pk])}")
        counter = page.locator("#counter_x")
        before = counter.inner_text()
        assert "/ 280" in before
        page.fill("#text_x", "Proud of this launch, and of the whole team that built it!")
        page.wait_for_function("(b) => document.querySelector('#counter_x').textContent !== b", arg=before)
        assert counter.inner_text() != before
        trouble.collect()

        trouble.visit(f"{base}{reverse('my_shares')}")
        trouble.visit(f"{base}{reverse('admin:index')}")

        # Content item change page: live post previews (static/js/admin-preview.js).
        trouble.visit(f"{base}{reverse('admin:content_contentitem_change', args=[item.pk])}")
        preview = page.locator(".chorus-post-x [data-preview-text]")
        page.wait_for_function("() => document.querySelector('.chorus-post-x [data-preview-text]').textContent !== ''")
        x_text = page.locator("textarea[name$='-text']").nth(1)
        x_text.fill("A brand new text for the preview")
        page.wait_for_function(
            "() => document.querySelector('.chorus-post [data-preview-text]').textContent.includes('brand new')"
            " || document.querySelector('.chorus-post-x [data-preview-text]').textContent.includes('brand new')"
        )
        assert preview.count() == 1
        trouble.collect()

        trouble.visit(f"{base}{reverse('analytics_dashboard')}")
        assert page.locator("svg").count() > 0  # the charts render
        found = list(trouble.found)

        # The listeners do hear a violation: an injected inline script is refused and reported.
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
            " document.body.appendChild(s); }"
        )
        page.wait_for_function("() => window.__cspViolations.length > 0")
        assert page.evaluate("window.__ran") is None
        trouble.collect()
        assert any("script-src" in f for f in trouble.found)
        browser.close()

    assert found == []
