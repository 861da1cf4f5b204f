"""The strict Content-Security-Policy breaks nothing, in a real browser.

Headless Chromium walks the portal and the admin under the real policy (the live server
runs the real middleware) and listens for trouble: console errors and warnings (Chromium
logs every CSP refusal there, the email preview's frame included), uncaught page errors,
and `securitypolicyviolation` events recorded by a listener installed before any page
script runs. The policy has no 'unsafe-inline' for scripts or styles, so the pages that
used to need it are all here: the analytics charts (their nonced <style>), the bars and
legends, the admin's progress bars and status pills, and the email preview (the email's
inline styles, under its own policy in a sandboxed frame). The scripts that matter are
exercised too: the share dialog's character counter and the admin's live post previews.

The ORM is used only before Playwright starts (its sync API runs an event loop in this
thread, and Django refuses database calls from a thread that has one).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, sync_playwright

from advocacy.models import ProgrammeSettings
from notifications.models import Notification
from tests.analytics.views.test_dashboard import activity
from tests.browser import launch_chromium
from tests.conftest import free_port
from tests.factories import CampaignFactory, UserFactory, published_item

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
    return UserFactory(
        email="boss@example.com", full_name="Bo Boss", is_staff=True, is_superuser=True,
        notification_preference="weekly",
    )


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
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "'unsafe-inline'" not in policy, url
        self.collect()

    def collect(self) -> None:
        self.page.wait_for_load_state("load")
        self.found += [f"{self.page.url}: {v}" for v in self.page.evaluate("window.__cspViolations || []")]


def style_of(page: Page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(f"(el) => getComputedStyle(el).{prop}")


def test_portal_and_admin_run_under_the_policy_without_violations(admin_user, live_server, settings, tmp_path):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # no Redis: pages degrade, nothing else
    settings.SITE_URL = live_server.url  # emails link and embed images from here
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"  # the Outbox
    settings.EMAIL_FILE_PATH = str(tmp_path)
    campaign = CampaignFactory(name="Launch week", goal_shares=10, goal_clicks=100)
    item = published_item(
        title="Our launch", url="https://example.com/story", campaign=campaign,
        texts=[("linkedin", "Proud of this launch"), ("x", "Proud of this launch")],
    )
    activity(4, campaigns=[campaign])  # charts, funnel, campaign goal bars with data
    Notification.objects.create(user=admin_user, kind="system", title="Welcome to Chorus", body="Hello.")
    programme = ProgrammeSettings.load()
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
        trouble.visit(f"{base}{reverse('home')}")
        assert style_of(page, "a.nav-bell", "display") == "inline-flex"

        # Share dialog: the counter (static/js/share-counter.js) is live.
        trouble.visit(f"{base}{reverse('share_dialog', args=[item.pk])}")
        counter = page.locator("#counter_x")
        before = counter.inner_text()
        assert "/ 280" in before
        page.fill("#text_x", "Proud of this launch, and of the whole team that built it!")
        page.wait_for_function("(b) => document.querySelector('#counter_x').textContent !== b", arg=before)
        assert counter.inner_text() != before
        trouble.collect()

        for name in ("my_shares", "notifications", "preferences", "suggest", "my_impact"):
            trouble.visit(f"{base}{reverse(name)}")
        page.goto(f"{base}{reverse('notifications')}")
        assert page.get_by_text("Welcome to Chorus").is_visible()
        assert style_of(page, ".notes", "listStyleType") == "none"  # chorus.css, no inline <style>

        # Analytics: the charts' <style> runs on the nonce; bars and swatches without style="".
        trouble.visit(f"{base}{reverse('analytics_dashboard')}")
        assert page.locator(".chart svg").count() == 2
        assert style_of(page, ".chart svg .axis text", "fontSize") == "13px"  # the chart's nonced CSS applied
        first_step = page.locator(".funnel .bar span").first
        assert first_step.get_attribute("class") == "w-100"
        assert first_step.evaluate("(s) => s.getBoundingClientRect().width / s.parentElement.clientWidth") > 0.99
        assert page.locator(".campaign .bar span").count() == 2
        assert page.locator(".legend svg.swatch rect").first.get_attribute("fill") == "#3b4cca"

        # The admin: index, a changelist, the item with its live previews (static/js/admin-preview.js).
        trouble.visit(f"{base}{reverse('admin:index')}")
        assert style_of(page, "#header .chorus-portal-link", "marginLeft") != "0px"
        trouble.visit(f"{base}{reverse('admin:content_contentitem_changelist')}")
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
        trouble.visit(f"{base}{reverse('admin:content_campaign_change', args=[campaign.pk])}")
        assert page.locator(".chorus-bar > div[class^='w-']").count() == 2
        trouble.visit(f"{base}{reverse('admin:advocacy_programmesettings_change', args=[programme.pk])}")
        assert page.locator(".chorus-bar > div[class^='w-']").count() == 1

        # Email deliveries: send a test digest from the object tools, then read it in the Outbox.
        trouble.visit(f"{base}{reverse('admin:notifications_emaildelivery_changelist')}")
        page.get_by_role("button", name="Send me a test digest").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("Test digest sent to boss@example.com").is_visible()
        assert page.locator("strong.chorus-status-sent").count() == 1
        trouble.collect()
        trouble.visit(f"{base}{reverse('admin:notifications_outboxmessage_changelist')}")
        page.locator("#content-main table a").first.click()
        page.wait_for_load_state("load")
        email_frame = page.frame_locator("iframe.chorus-email-frame")
        email_frame.get_by_text("Good", exact=False).first.wait_for()
        trouble.collect()

        # The email preview: the email's inline styles apply inside its own, sandboxed document.
        trouble.visit(
            f"{base}{reverse('admin:notifications_digest_preview')}?email=boss@example.com&kind=weekly_digest"
        )
        email_frame.locator("a.cta").first.wait_for()
        assert email_frame.locator("a.cta").first.evaluate("(a) => getComputedStyle(a).fontWeight") == "700"
        trouble.visit(
            f"{base}{reverse('admin:notifications_digest_preview')}?email=boss@example.com&kind=new_content"
            f"&item={item.pk}"
        )
        email_frame.get_by_text("Our launch").first.wait_for()
        page.wait_for_timeout(300)  # the frame's own loads (images) report to the console too
        trouble.collect()
        found = list(trouble.found)

        # The listeners do hear a violation: an injected inline script is refused and reported,
        # and so is an injected style attribute.
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
            " document.body.appendChild(s);"
            " const d = document.createElement('div'); d.innerHTML = '<p style=\"color: red\">x</p>';"
            " document.body.appendChild(d); }"
        )
        page.wait_for_function("() => window.__cspViolations.length > 1")
        assert page.evaluate("window.__ran") is None
        trouble.collect()
        assert any("script-src" in f for f in trouble.found) and any("style-src" in f for f in trouble.found)
        browser.close()

    assert found == []
