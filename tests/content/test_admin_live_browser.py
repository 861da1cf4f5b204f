"""The admin for curators, in a real browser: paste a link, save, and the preview fills in
once the worker has fetched it (no reload); a typed title wins over the fetched one; the
admin home links the review queue with what waits in it.

Headless Chromium against pytest-django's live server. The worker does not run inline: the
fetch waits on the in-memory broker until the test runs the task (see
tests/advocacy/test_live_status_browser.py for why the ORM may run between Playwright
calls, with the page's requests held in a route handler meanwhile).
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, sync_playwright

from content.models import ContentItem
from core.queueing import task_named
from tests.advocacy.test_live_status_browser import (  # noqa: F401  (fixtures)
    queued_not_run,
    screenshot,
    shots,
)
from tests.browser import launch_chromium
from tests.content.test_revisions_browser import admin_log_in
from tests.factories import ContentItemFactory, curator
from tests.support import PageServer

pytestmark = pytest.mark.browser

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PAGE = b"""<html><head><title>Fallback</title><meta property="og:title" content="The fetched title">
<meta property="og:description" content="What 400 security leads told us.">
<meta property="og:image" content="/card.png"><meta property="og:site_name" content="Example"></head></html>"""


@pytest.fixture
def site(settings):
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    with PageServer({"/report": (200, "text/html; charset=utf-8", PAGE), "/card.png": (200, "image/png", PNG)}) as s:
        yield s


class HeldRequests:
    """The page's link-preview requests, counted; they wait here while the task runs."""

    def __init__(self, page: Page) -> None:
        self.count = 0
        page.route("**/link-preview/", self.handle)

    def handle(self, route) -> None:
        self.count += 1
        route.continue_()


def add_item(page: Page, base: str, *, url: str, title: str = "") -> int:
    page.goto(f"{base}{reverse('admin:content_contentitem_add')}")
    page.fill("input[name=url]", url)
    if title:
        page.fill("input[name=title]", title)
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r".*/admin/content/contentitem/\d+/change/$"))
    return int(page.url.rstrip("/").split("/")[-2])


def fetch(item_id: int, url: str) -> None:
    task_named("content.fetch_link_preview").apply(args=[item_id, url])


def test_the_link_preview_fills_in_live_and_a_typed_title_wins(live_server, settings, site, queued_not_run, shots):  # noqa: F811
    settings.SITE_URL = live_server.url
    curator(email="curator@example.com")
    ContentItemFactory(status="in_review", title="Waiting one")
    ContentItemFactory(status="in_review", title="Waiting two")
    base = live_server.url
    report = f"{site.url}/report"

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        held = HeldRequests(page)
        admin_log_in(page, base, "curator@example.com")

        # The admin home leads to the review queue, with what waits in it.
        review = page.locator(".chorus-review-home")
        assert review.locator("[data-review-count]").inner_text() == "2 waiting"
        screenshot(page, shots, "admin-home")
        review.get_by_role("link", name="Review queue").click()
        page.wait_for_url(f"{base}{reverse('admin:content_contentitem_review')}")
        assert "Items waiting for review (2)" in page.content()

        # A link without a title: saved, and the page waits for the worker's fetch.
        item_id = add_item(page, base, url=report)
        assert "The link preview is being fetched" in page.locator(".messagelist").inner_text()
        state = page.locator("[data-link-preview-state]")
        assert state.inner_text() == "Fetching the link preview…"
        assert page.locator(".field-preview_status .readonly").inner_text() == "Fetching…"
        assert page.input_value("input[name=title]") == ""
        page.evaluate("window.__chorusStillHere = true")
        fetch(item_id, report)
        page.wait_for_function(
            "() => document.querySelector('[data-link-preview-state]').textContent.startsWith('Link preview fetched')",
            timeout=30_000)
        assert page.evaluate("window.__chorusStillHere === true")  # no reload
        assert state.inner_text() == "Link preview fetched: “The fetched title”."
        assert page.input_value("input[name=title]") == "The fetched title"
        assert page.input_value("input[name=preview_title]") == "The fetched title"
        assert page.input_value("textarea[name=preview_description]") == "What 400 security leads told us."
        assert page.locator(".field-preview_status .readonly").inner_text() == "Fetched"
        post = page.locator(".chorus-post-linkedin")
        assert post.locator("[data-preview-title]").inner_text() == "The fetched title"
        assert post.locator("[data-preview-image]").get_attribute("src").startswith("/media/")
        screenshot(page, shots, "admin-item-fetched")
        asked = held.count
        page.wait_for_timeout(2500)
        assert held.count == asked  # done: no more asking

        # A typed title wins: kept on the page and by the server, and shown in the preview.
        typed_id = add_item(page, base, url=report, title="Our own title")
        page.evaluate("window.__chorusStillHere = true")
        fetch(typed_id, report)
        page.wait_for_function(
            "() => document.querySelector('[data-link-preview-state]').textContent.startsWith('Link preview fetched')",
            timeout=30_000)
        assert page.evaluate("window.__chorusStillHere === true")
        assert page.input_value("input[name=title]") == "Our own title"
        assert page.input_value("input[name=preview_title]") == "The fetched title"
        assert page.locator(".chorus-post-linkedin [data-preview-title]").inner_text() == "Our own title"
        assert page.locator("[data-link-preview-state]").inner_text() == "Link preview fetched: “Our own title”."
        browser.close()

    fetched, typed = ContentItem.objects.get(pk=item_id), ContentItem.objects.get(pk=typed_id)
    assert (fetched.title, fetched.display_title) == ("The fetched title", "The fetched title")
    assert (typed.title, typed.preview_title, typed.display_title) == (
        "Our own title", "The fetched title", "Our own title")
