"""Live status and the share dialog's previews, in a real browser.

Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against Chorus on
pytest-django's live server, pointed at the sandbox networks over real HTTP. Here the
worker does not run inline: shares wait on the (in-memory) broker until the test runs the
posting task itself, so the page is seen *before* the post goes out and then follows it
— queued → posted with the link, or failed with the reason and Retry — without a reload.

While the task runs (the ORM in this thread, between Playwright calls, which is what
DJANGO_ALLOW_ASYNC_UNSAFE allows), the page's status requests wait in Playwright's route
handler, so the live server and the task never use the shared test database at once.
Set CHORUS_SCREENSHOTS=<dir> to keep the screenshots (390 and 1280 px wide).
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, sync_playwright

from advocacy.models import Share
from advocacy.services.posting import POST_TASK
from content.models import ComplianceSettings
from core.queueing import task_named
from tests.advocacy.test_share_again_browser import log_in
from tests.browser import employee_with_linkedin, launch_chromium, my_shares_after_sharing
from tests.factories import published_item
from tests.support import celery_broker

pytestmark = pytest.mark.browser

NOT_RELOADED = "window.__chorusStillHere === true"


@pytest.fixture
def queued_not_run(monkeypatch):
    """Shares wait on an in-memory broker until the test runs the posting task."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the worker step, see the module docstring
    with celery_broker("memory://"):
        yield


@pytest.fixture
def ann(networks, settings, live_server):
    return employee_with_linkedin(networks, settings, live_server)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("CHORUS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class StatusRequests:
    """Counts the page's status requests; they wait here while the test's worker runs."""

    def __init__(self, page: Page) -> None:
        self.count = 0
        page.route("**/shares/status/**", self.handle)

    def handle(self, route: Route) -> None:
        self.count += 1
        route.continue_()


def run_worker(share_id: int) -> None:
    task_named(POST_TASK).apply(args=[share_id])


def screenshot(page: Page, shots: Path, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_my_shares_follows_a_share_to_posted_and_a_failure_to_retry(ann, networks, live_server, queued_not_run,
                                                                     shots):
    item = published_item(title="Our launch", url="https://example.com/story",
                          texts=[("linkedin", "Proud of this launch")])
    other = published_item(title="Hiring", url="https://example.com/jobs", texts=[("linkedin", "We are hiring")])
    base = live_server.url

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        requests = StatusRequests(page)
        log_in(page, base, "ann@example.com")

        # Share: My shares says it is queued and that it is following it.
        page.goto(f"{base}{reverse('share_dialog', args=[item.pk])}")
        page.get_by_role("button", name="Share").click()
        page.wait_for_url(my_shares_after_sharing(base))
        row = page.locator("tr[data-share-id]").first
        assert row.get_attribute("data-share-status") == "queued"
        assert row.locator(".pill").inner_text() == "Queued"
        assert page.locator("[data-live-note-text]").inner_text() == "Updating as your shares go out…"
        assert page.locator(".share-confirmation").inner_text() == "Queued for LinkedIn…"
        screenshot(page, shots, "my-shares-queued")
        assert len(networks.state.posts("linkedin")) == 0
        page.evaluate("window.__chorusStillHere = true")

        # The worker posts it; the row and the confirmation change in place.
        run_worker(int(row.get_attribute("data-share-id")))
        page.wait_for_selector("tr[data-share-status=posted] a.view-post", timeout=20_000)
        assert page.evaluate(NOT_RELOADED)
        link = page.locator("tr[data-share-status=posted] a.view-post")
        assert link.get_attribute("href").startswith(networks.url)
        assert page.locator(".share-confirmation").inner_text() == "Posted on LinkedIn — view post"
        assert page.locator("[data-live-note]").is_hidden()
        assert len(networks.state.posts("linkedin")) == 1
        screenshot(page, shots, "my-shares-posted")
        asked = requests.count
        page.wait_for_timeout(3000)
        assert requests.count == asked  # nothing in flight: no more polling

        # A share the network refuses: failed with the reason and Retry, live too.
        networks.faults.next("forbidden", network="linkedin", group="post")
        page.goto(f"{base}{reverse('share_dialog', args=[other.pk])}")
        page.get_by_role("button", name="Share").click()
        page.wait_for_url(my_shares_after_sharing(base))
        page.evaluate("window.__chorusStillHere = true")
        failing = page.locator("tr[data-share-id]").first
        failing_id = int(failing.get_attribute("data-share-id"))
        run_worker(failing_id)
        failed = page.locator(f'tr[data-share-id="{failing_id}"][data-share-status=failed]')
        failed.wait_for(timeout=20_000)
        assert page.evaluate(NOT_RELOADED)
        assert "LinkedIn did not allow this" in failed.locator(".share-reason").inner_text()
        screenshot(page, shots, "my-shares-failed")

        # Retry (a form: the page reloads) queues it again, and it is followed to posted.
        failed.get_by_role("button", name="Retry").click()
        page.wait_for_url(my_shares_after_sharing(base))
        assert page.locator(".messages").inner_text() == "Trying again…"
        page.locator(f'tr[data-share-id="{failing_id}"][data-share-status=queued]').wait_for()
        page.evaluate("window.__chorusStillHere = true")
        run_worker(failing_id)
        page.locator(f'tr[data-share-id="{failing_id}"][data-share-status=posted] a.view-post').wait_for(
            timeout=20_000)
        assert page.evaluate(NOT_RELOADED)
        browser.close()

    assert sorted(Share.objects.values_list("status", flat=True)) == ["posted", "posted"]
    assert len(networks.state.posts("linkedin")) == 2


def test_the_preview_follows_the_text_and_another_wording_cycles(ann, networks, live_server, shots):
    ComplianceSettings.objects.update_or_create(pk=1, defaults={"default_disclosure": "#employee"})
    item = published_item(title="Our launch", url="https://www.example.com/story",
                          texts=[("linkedin", "First wording"), ("linkedin", "Second wording"),
                                 ("linkedin", "Third wording")])
    base = live_server.url
    link = f"{base}/r/XXXXXXXXXX"

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, base, "ann@example.com")
        page.goto(f"{base}{reverse('share_dialog', args=[item.pk])}")
        preview = page.locator('[data-post-preview="text_linkedin"] [data-preview-text]')
        box = page.locator("#text_linkedin")
        first = box.input_value()
        assert preview.inner_text() == f"{first} #employee\n{link}"  # the server's first render
        card = page.locator('[data-post-preview="text_linkedin"] .link-card')
        assert card.locator(".link-card-title").inner_text() == "Our launch"
        assert card.locator(".link-card-domain").inner_text() == "example.com"
        screenshot(page, shots, "share-dialog")

        # As the employee types, the preview follows (the same composition as the server).
        box.fill("My own words about it")
        page.wait_for_function(
            "() => document.querySelector('[data-post-preview=\"text_linkedin\"] [data-preview-text]')"
            ".textContent.startsWith('My own words')")
        assert preview.inner_text() == f"My own words about it #employee\n{link}"
        assert page.locator('[data-wording-label="text_linkedin"]').inner_text() == "Your own words · 3 suggestions"

        # "Another wording" cycles through the suggestions in place, no reload.
        page.evaluate("window.__chorusStillHere = true")
        another = page.get_by_role("link", name="Another wording")
        seen = []
        for _ in range(4):
            another.click()
            seen.append(box.input_value())
            assert preview.inner_text() == f"{seen[-1]} #employee\n{link}"
        assert seen == ["First wording", "Second wording", "Third wording", "First wording"]
        assert page.locator('[data-wording-label="text_linkedin"]').inner_text() == "Suggestion 1 of 3"
        assert page.evaluate(NOT_RELOADED)
        assert "/ 3000" in page.locator("#counter_linkedin").inner_text()  # the counter follows too

        # What is posted is what the preview showed, with the share's own link.
        box.fill("Posting exactly this")
        shown = preview.inner_text()
        page.get_by_role("button", name="Share").click()
        page.wait_for_url(my_shares_after_sharing(base))
        browser.close()

    assert errors == []
    share = Share.objects.get()
    assert share.final_text == shown.replace("XXXXXXXXXX", share.link_code)
    assert [p.text for p in networks.state.posts("linkedin")] == [share.final_text]
