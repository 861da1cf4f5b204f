"""The emails as a person sees them: rendered in headless Chromium at phone and desktop
widths (no sideways scrolling, the Share-now button on screen, images with alt texts), and
saved as PNGs under the pytest temp folder for a human to look at."""

from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Browser, sync_playwright

from notifications.services.digests import digest_chunk
from notifications.services.fanout import fanout_chunk
from tests.browser import launch_chromium
from tests.factories import CampaignFactory
from tests.notifications.helpers import days_ago, item_for, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db]



@pytest.fixture
def emails(sales):
    ann = person("instant", team=sales, full_name="Annabelle Longname-Whitaker")
    campaign = CampaignFactory(name="Cloud Summit 2026", goal_shares=150, goal_clicks=1200)
    for i in range(6):
        item_for(everyone=True, campaign=campaign if i % 2 else None, published_at=days_ago(i),
                 title=f"A rather long headline number {i} about what we learned running ten thousand clusters",
                 summary="What we learned, in plain words, with numbers your network will care about. " * 3)
    fresh = item_for(everyone=True, title="Frankfurt region now open", summary="Two new regions.")
    fanout_chunk(item_id=fresh.pk, user_ids=[ann.pk], claim_token="n")
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[ann.pk], claim_token="w")
    new_content, digest = mail.outbox
    return {"new_content": new_content.alternatives[0][0], "digest": digest.alternatives[0][0]}


def test_emails_fit_the_screen_and_show_their_button(emails, tmp_path_factory):
    folder = tmp_path_factory.mktemp("emails")
    # Started after the database work: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for width in (375, 600, 1024):
            for name, html in emails.items():
                check(browser, name, html, width, folder)
        browser.close()


def check(browser: Browser, name: str, html: str, width: int, folder: Path) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda route: route.abort())  # no network: remote images stay blank
    page.set_content(html)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    label = "Share now" if name == "new_content" else "Share now →"
    box = page.get_by_role("link", name=label).first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (name, width)
    assert page.evaluate("[...document.images].every(i => i.alt.trim().length > 0)")
    assert page.evaluate("document.scripts.length") == 0
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.close()
