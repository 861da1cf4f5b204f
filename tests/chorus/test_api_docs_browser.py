"""The API docs (/api/docs/, Swagger UI) work in a real browser under our strict CSP, from
our own static files only (drf-spectacular-sidecar): headless Chromium opens the page,
listens for console errors, page errors and `securitypolicyviolation` events, waits for
the operations to show and opens one; any request that leaves the live server fails the
test. A screenshot is saved (its path is printed: run with -s to see it)."""

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import launch_chromium
from tests.chorus.test_csp_browser import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser


def test_the_api_docs_render_from_our_files_without_csp_violations(live_server, tmp_path):
    base = live_server.url
    trouble: list[str] = []
    elsewhere: list[str] = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and trouble.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: trouble.append(f"page error: {e}"))
        page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:") or elsewhere.append(r.url))

        response = page.goto(f"{base}/api/docs/")
        assert response.ok
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy

        page.locator(".opblock").first.wait_for(timeout=20_000)  # the operations, from /api/schema/
        assert page.locator(".opblock").count() >= 3
        assert "Chorus API" in page.locator(".info .title").inner_text()
        page.locator(".opblock-summary").first.click()  # expand one: parameters and responses render
        page.locator(".opblock-body .responses-wrapper").first.wait_for()
        page.wait_for_load_state("networkidle")
        trouble += page.evaluate("window.__cspViolations || []")

        shot = tmp_path / "api-docs.png"
        page.screenshot(path=str(shot), full_page=False)
        print(f"\nAPI docs screenshot: {shot}")  # noqa: T201  (where to look)
        browser.close()

    assert trouble == []
    assert elsewhere == []  # no CDN, no font service: every file comes from Chorus
    assert shot.stat().st_size > 10_000
