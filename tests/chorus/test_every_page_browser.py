"""Every portal page, and the marketing pages staff open daily, at a phone's width (390 px)
and a laptop's (1280 px): nothing runs wider than the screen, and axe finds no serious or
critical accessibility problem. Screenshots go to the test's tmp_path, or to
``$CHORUS_SCREENSHOTS`` when set (to look at them).

Data first (the ORM is used only before Playwright starts): Ann has LinkedIn connected
through the sandbox's OAuth flow, a posted share, a notification; an admin sees analytics.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import sync_playwright

from advocacy.services.sharing import ShareRequest, share_create
from notifications.services.inapp import notify
from tests.browser import axe_serious, employee_with_linkedin, launch_chromium
from tests.factories import UserFactory, published_item

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
WIDTHS = (390, 1280)
# Django admin's own widgets (not ours) that axe flags on the item page: select2's combobox,
# the filter-horizontal search icons, the split date/time inputs and the breadcrumbs. Our
# admin additions (workflow box, counters, previews, suggested-text inlines) are checked.
DJANGO_ADMIN_OWN = ("#select2-", ".select2", "label[for=\"id_topics", "label[for=\"id_target_", ".breadcrumbs",
                    "#id_publish_at_", "#id_expires_at_")


def _without_django_admin_own(results):
    """The axe results with the nodes of Django admin's own widgets left out."""
    for violation in results.response["violations"]:
        violation["nodes"] = [n for n in violation["nodes"] if not n["target"][0].startswith(DJANGO_ADMIN_OWN)]
    results.response["violations"] = [v for v in results.response["violations"] if v["nodes"]]
    return results


@pytest.fixture
def people(networks, redis_url, settings, live_server):
    ann = employee_with_linkedin(networks, settings, live_server)
    item = published_item(title="Our platform cut incident response time by 63%")
    published_item(title="Registration is open: Cloud Summit 2026")
    # The live server's database autocommits: the (eager) posting task runs on commit.
    [share] = share_create(user=ann, item=item, request=ShareRequest(
        networks=["linkedin"], texts={"linkedin": "Proud of the team: incident response 63% faster"},
        idempotency_key="every-page"))
    share.refresh_from_db()
    assert share.status == "posted", share.last_error
    notify(user=ann, kind="new_content", title="New to share: Cloud Summit", url=reverse("home"))
    admin = UserFactory(email="admin@example.com", full_name="Ada Admin", is_staff=True, is_superuser=True)
    return {"ann": ann, "admin": admin, "item": item}


def _pages(item) -> dict[str, list[str]]:
    return {
        "ann@example.com": [
            reverse("home"), reverse("share_dialog", args=[item.pk]), reverse("my_shares"),
            reverse("connections"), reverse("suggest"), reverse("my_impact"), reverse("leaderboard"),
            reverse("notifications"), reverse("preferences"), reverse("my_data"),
            reverse("account_delete"), reverse("api_tokens"), reverse("password_change"),
        ],
        "admin@example.com": [
            reverse("analytics_dashboard"), reverse("admin:index"),
            reverse("admin:content_contentitem_review"),
            reverse("admin:content_contentitem_change", args=[item.pk]),
        ],
    }


def _shot_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("CHORUS_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_every_page_fits_the_screen_and_passes_axe(people, live_server, tmp_path):
    base, shots, axe = live_server.url, _shot_dir(tmp_path), Axe()
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for email, paths in _pages(people["item"]).items():
            for width in WIDTHS:
                page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                page.goto(f"{base}{reverse('login')}")
                page.fill("input[name=username]", email)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                for path in paths:
                    response = page.goto(f"{base}{path}")
                    assert response is not None and response.status == 200, (path, response and response.status)
                    page.wait_for_load_state("networkidle")
                    name = path.strip("/").replace("/", "_") or "feed"
                    page.screenshot(path=str(shots / f"{name}_{width}.png"), full_page=True)
                    overflow = page.evaluate("document.documentElement.scrollWidth") - width
                    if overflow > 0:
                        problems.append(f"{path} at {width} px runs {overflow} px wider than the screen")
                    problems += [f"{path} at {width} px: {v}" for v in axe_serious(_without_django_admin_own(axe.run(page)))]
                page.context.close()
        browser.close()
    assert problems == [], "\n".join(problems)
