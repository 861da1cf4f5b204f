"""In a real browser: a curator edits a published item in the admin, the approved version
stays live, an approver sees the diff in the review queue and approves it.

Headless Chromium (Debian's package, driven by Playwright) against pytest-django's live
server. The ORM is used only before Playwright starts and after it stops. Set
CHORUS_SCREENSHOTS=<dir> to keep the screenshots.
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, sync_playwright

from content.models import ContentItem, ContentRevision, RevisionStatus
from tests.browser import launch_chromium
from tests.factories import approver, curator, published_item

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def admin_log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def test_curator_proposes_and_approver_approves_with_the_diff(live_server, tmp_path, settings):
    settings.SITE_URL = live_server.url
    item = published_item(title="Q3 results are in", url="https://example.com/q3",
                          texts=[("linkedin", "Our Q3 results are in."), ("x", "Q3 results")])
    curator(email="curator@example.com")
    approver(email="approver@example.com")
    shots = Path(os.environ.get("CHORUS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    change_url = f"{live_server.url}{reverse('admin:content_contentitem_change', args=[item.pk])}"
    review_url = f"{live_server.url}{reverse('admin:content_contentitem_review')}"

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        admin_log_in(page, live_server.url, "curator@example.com")
        page.goto(change_url)
        assert "your changes will wait for an Approver" in page.content()
        page.fill("input[name=title]", "Q3 results: a record quarter")
        page.fill("textarea[name='share_texts-0-text']", "A record quarter for us: Q3 results are in.")
        page.click("input[name=_save]")
        page.wait_for_load_state()
        message = page.locator(".messagelist").inner_text()
        assert "waiting for an Approver" in message
        assert "A revision is waiting for approval" in page.content()
        page.screenshot(path=str(shots / "revision-curator.png"), full_page=True)
        context.close()

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        admin_log_in(page, live_server.url, "approver@example.com")
        page.goto(review_url)
        revision_box = page.locator("article.chorus-revision")
        text = revision_box.inner_text()
        for expected in ("Q3 results are in", "Q3 results: a record quarter", "Our Q3 results are in.",
                         "A record quarter for us", "Suggested texts (1 unchanged, not shown)"):
            assert expected in text, expected
        page.screenshot(path=str(shots / "revision-review-queue.png"), full_page=True)
        revision_box.get_by_role("button", name="Approve revision").click()
        page.wait_for_load_state()
        assert "is live" in page.locator(".messagelist").inner_text()
        context.close()
        browser.close()

    live = ContentItem.objects.get(pk=item.pk)
    assert live.title == "Q3 results: a record quarter"
    assert ContentRevision.objects.get(item=item).status == RevisionStatus.APPROVED
