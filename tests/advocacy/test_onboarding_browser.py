"""A new employee, in a real browser: invitation link → first share queued, counting clicks.

Headless Chromium (Debian's package, driven by Playwright) against the live server, with
Chorus pointed at the sandbox networks over real HTTP. The employee sets a password,
accepts the social media policy, keeps the suggested topics, connects LinkedIn on the
sandbox's consent page and shares the suggested first post. Every click is counted (typing
a password is not a click); the test prints the clicks and the seconds and asserts at most
six clicks. Each step is checked with axe (no serious or critical violation) and
photographed at 390 and 1280 px: set CHORUS_SCREENSHOTS=<dir> to keep them (default: the
test's tmp dir; run with -s to see the paths).

The ORM is used only before Playwright starts and after it stops (its sync API runs an
event loop in this thread).
"""

import os
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Locator, Page, sync_playwright

from accounts.services.invitations import invitation_url
from advocacy.models import Onboarding, PolicyAcceptance, Share
from advocacy.services.onboarding import policy_publish
from tests.browser import launch_chromium
from tests.factories import TopicFactory, UserFactory, published_item

pytestmark = pytest.mark.browser

PASSWORD = "a-Long-unusual-passphrase-42"
WIDTHS = (390, 1280)


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


class Clicks:
    """Clicks the employee makes, counted."""

    def __init__(self) -> None:
        self.count = 0
        self.log: list[str] = []

    def __call__(self, target: Locator, what: str) -> None:
        self.count += 1
        self.log.append(what)
        target.click()


def photograph(page: Page, shots: Path, name: str) -> None:
    """The page at phone and desktop width (the employee's own width restored after)."""
    size = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"onboarding-{name}-{width}.png"), full_page=True)
        # Nothing wider than the screen (no sideways scrolling on a phone).
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows at {width}px"
    page.set_viewport_size(size)


@pytest.fixture
def newcomer(networks, redis_url, settings, live_server):
    settings.SITE_URL = live_server.url
    policy_publish(text="Share what you believe in, in your own words.\n\nSay that you work here.", actor=None)
    TopicFactory(name="Company news", required=True)
    TopicFactory(name="Cloud", description="Platform, reliability and cost.")
    TopicFactory(name="Security")
    published_item(title="Older story", url="https://example.com/older", texts=[("linkedin", "Older")])
    published_item(title="Observability on a budget", url="https://example.com/observability",
                   texts=[("linkedin", "How we cut our monitoring bill in half")])
    user = UserFactory(full_name="Nina New", email="nina@example.com", advocate_opted_in_at=None, roles=[])
    user.set_unusable_password()
    user.save()
    return user


def test_invitation_to_first_share_in_six_clicks(newcomer, networks, live_server, tmp_path):
    link = invitation_url(newcomer)
    shots = Path(os.environ.get("CHORUS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    click = Clicks()
    problems: dict[str, list[str]] = {}

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        started = time.monotonic()
        page.goto(link)
        page.fill("input[name=new_password1]", PASSWORD)
        page.fill("input[name=new_password2]", PASSWORD)
        click(page.get_by_role("button", name="Join as an advocate"), "set the password")

        page.wait_for_url(f"{live_server.url}{reverse('onboarding_policy')}")
        assert page.locator(".onboarding-step").inner_text() == "Step 1 of 4"
        assert "Say that you work here." in page.locator(".policy-text").inner_text()
        problems["policy"] = serious(page)
        photograph(page, shots, "1-policy")
        click(page.get_by_role("button", name="I accept the policy"), "accept the policy")

        page.wait_for_url(f"{live_server.url}{reverse('onboarding_topics')}")
        assert page.locator(".onboarding-step").inner_text() == "Step 2 of 4"
        required = page.locator(".topic-choice.required input")
        assert required.is_checked() and required.is_disabled()  # preselected, not removable
        problems["topics"] = serious(page)
        photograph(page, shots, "2-topics")
        click(page.get_by_role("button", name="Continue"), "keep the topics")

        page.wait_for_url(f"{live_server.url}{reverse('onboarding_connect')}")
        assert page.locator(".onboarding-step").inner_text() == "Step 3 of 4"
        problems["connect"] = serious(page)
        photograph(page, shots, "3-connect")
        click(page.get_by_role("link", name="Connect LinkedIn"), "connect LinkedIn")

        page.wait_for_url(f"{networks.url}/**")  # the sandbox's consent page
        click(page.locator("button.allow"), "allow on LinkedIn")

        page.wait_for_url(f"{live_server.url}{reverse('onboarding_share')}")
        assert page.locator(".onboarding-step").inner_text() == "Step 4 of 4"
        assert "LinkedIn connected" in page.locator(".messages").inner_text()
        assert page.locator(".first-post-title").inner_text() == "Observability on a budget"  # the feed's top
        assert page.locator("input[name=networks][value=linkedin]").is_checked()
        problems["share"] = serious(page)
        photograph(page, shots, "4-share")
        click(page.get_by_role("button", name="Share now"), "share the first post")

        page.wait_for_url(f"{live_server.url}{reverse('my_shares')}")
        seconds = time.monotonic() - started
        assert "Your first share is on its way to LinkedIn" in page.locator(".messages").inner_text()
        photograph(page, shots, "5-my-shares")
        browser.close()

    print(f"\ninvitation link → first share queued: {click.count} clicks ({', '.join(click.log)}), "  # noqa: T201
          f"{seconds:.1f} s; screenshots in {shots}")
    assert problems == {"policy": [], "topics": [], "connect": [], "share": []}
    assert click.count <= 6
    [share] = Share.objects.filter(user=newcomer)
    assert share.network == "linkedin" and share.item.title == "Observability on a budget"
    assert share.status in ("queued", "posting", "posted")
    assert PolicyAcceptance.objects.get(user=newcomer).version.number == 1
    assert Onboarding.objects.get(user=newcomer).finished_at is not None
    assert seconds < 120  # generous: the machine is shared; the number printed is the measure


def test_skipping_every_step_but_the_policy(newcomer, live_server, tmp_path):
    link = invitation_url(newcomer)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(link)
        page.fill("input[name=new_password1]", PASSWORD)
        page.fill("input[name=new_password2]", PASSWORD)
        page.get_by_role("button", name="Join as an advocate").click()
        page.wait_for_url(f"{live_server.url}{reverse('onboarding_policy')}")
        # The policy cannot be skipped: the feed sends back to it.
        page.goto(f"{live_server.url}{reverse('home')}")
        assert page.url.startswith(f"{live_server.url}{reverse('onboarding_policy')}")
        page.get_by_role("button", name="I accept the policy").click()
        page.get_by_role("link", name="Skip this step").click()
        page.wait_for_url(f"{live_server.url}{reverse('onboarding_connect')}")
        page.get_by_role("link", name="Skip this step").click()
        page.wait_for_url(f"{live_server.url}{reverse('onboarding_share')}")
        assert page.locator("input[name=networks]").count() == 0  # nothing connected: nothing to tick
        assert page.get_by_role("link", name="Connect LinkedIn").is_visible()
        page.get_by_role("button", name="Skip: go to my feed").click()
        page.wait_for_url(f"{live_server.url}{reverse('home')}")
        assert page.get_by_role("link", name="Feed").is_visible()
        browser.close()
    assert Onboarding.objects.get(user=newcomer).finished_at is not None
    assert not Share.objects.exists()
