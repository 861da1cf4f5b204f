"""No accidental second post, in a real browser: share, press Back, press Share again.

Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against Chorus on
pytest-django's live server, with Chorus pointed at the sandbox networks over real HTTP:
the employee's LinkedIn account is connected through the sandbox's OAuth flow and the post
really goes out (tasks are eager in tests). After Back the dialog must say it was shared,
and pressing Share must not post again: the sandbox holds one post.

The ORM is used only before Playwright starts and after it stops (its sync API runs an
event loop in this thread, and Django refuses database calls from a thread that has one);
the live server answers from its own thread.
"""


import pytest
from django.urls import reverse
from playwright.sync_api import Page, sync_playwright

from advocacy.models import Share
from tests.browser import employee_with_linkedin, launch_chromium, my_shares_after_sharing
from tests.factories import published_item

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


@pytest.fixture
def ann(networks, redis_url, settings, live_server):
    return employee_with_linkedin(networks, settings, live_server)


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{reverse('home')}")


def test_share_then_back_then_share_posts_once(ann, networks, live_server):
    item = published_item(url="https://example.com/story", texts=[("linkedin", "Proud of this launch")])
    dialog_url = f"{live_server.url}{reverse('share_dialog', args=[item.pk])}"
    my_shares_url = my_shares_after_sharing(live_server.url)

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context().new_page()
        log_in(page, live_server.url, "ann@example.com")

        # Share on LinkedIn (ticked by default: connected, not shared yet).
        first = page.goto(dialog_url)
        assert "no-store" in first.headers["cache-control"]
        assert page.locator("input[name=networks][value=linkedin]").is_checked()
        key = page.locator("input[name=idempotency_key]").input_value()
        page.get_by_role("button", name="Share").click()
        page.wait_for_url(my_shares_url)
        assert "Sharing on LinkedIn" in page.locator(".messages").inner_text()
        assert len(networks.state.posts("linkedin")) == 1  # it really went out

        # Back: the dialog comes from the server again, says so, and has a new key.
        page.go_back()
        page.wait_for_url(dialog_url)
        warning = page.locator("[data-recent-share=linkedin]")
        assert warning.inner_text() == "You shared this on LinkedIn just now — view post"
        assert warning.get_by_role("link", name="view post").get_attribute("href").startswith(networks.url)
        again_box = page.locator("input[name=share_again][value=linkedin]")
        assert not again_box.is_checked() and page.locator("input[name=networks][value=linkedin]").count() == 0
        assert page.locator("input[name=idempotency_key]").input_value() != key

        # Were the page restored from the back/forward cache instead, portal.js asks the server again.
        rendered = page.locator("input[name=idempotency_key]").input_value()
        with page.expect_navigation():
            page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
        assert page.locator("input[name=idempotency_key]").input_value() not in (key, rendered)
        assert page.locator("[data-recent-share=linkedin]").is_visible()

        # Share again without ticking "Share again": refused, with the warning still there.
        page.get_by_role("button", name="Share").click()
        page.wait_for_load_state()
        assert page.url == dialog_url
        assert page.locator(".form-errors").inner_text() == (
            "Nothing new was shared: you already shared this on LinkedIn. "
            "To post it a second time, tick “Share again”."
        )
        assert page.locator("[data-recent-share=linkedin]").is_visible()
        assert len(networks.state.posts("linkedin")) == 1

        # The very same rendered form sent again (its key): a replay, nothing new posted.
        page.evaluate(
            """(key) => {
                 const form = document.querySelector("form.share-form");
                 form.querySelector("input[name=idempotency_key]").value = key;
                 const box = form.querySelector("input[name=share_again][value=linkedin]");
                 box.name = "networks"; box.checked = true;  // as the first render had it
                 form.submit();
               }""",
            key,
        )
        page.wait_for_url(my_shares_url)
        assert page.locator(".messages").inner_text() == (
            "Already shared on LinkedIn: this form was sent before, so nothing new was posted."
        )
        assert len(networks.state.posts("linkedin")) == 1
        browser.close()

    [share] = Share.objects.all()
    assert share.status == "posted" and share.idempotency_key == key
