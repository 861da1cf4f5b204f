"""My data in a real browser: from the preferences to the page, the download, then
deleting the account (wrong password first) and landing logged out on the login page.

Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against Chorus on
pytest-django's live server, with the employee's LinkedIn connected through the sandbox's
OAuth flow. The ORM is used only before Playwright starts and after it stops (see
tests/advocacy/test_share_again_browser.py). Screenshots go to the test's tmp_path.
"""

import json
import zipfile

import pytest
from django.urls import reverse
from playwright.sync_api import sync_playwright

from accounts.models import User
from advocacy.models import SocialAccount
from tests.browser import employee_with_linkedin, launch_chromium
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


@pytest.fixture
def ann(networks, redis_url, settings, live_server):
    return employee_with_linkedin(networks, settings, live_server)


def test_my_data_download_and_delete(ann, networks, live_server, tmp_path):
    base = live_server.url
    token = SocialAccount.objects.get(user=ann).access_token
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True).new_page()
        page.goto(f"{base}{reverse('login')}")
        page.fill("input[name=username]", "ann@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}{reverse('home')}")

        page.goto(f"{base}{reverse('preferences')}")
        page.get_by_role("link", name="My data", exact=True).click()
        page.wait_for_url(f"{base}{reverse('my_data')}")
        assert page.locator("tr[data-section=connections] td").last.inner_text() == "1"
        page.screenshot(path=str(tmp_path / "my_data.png"), full_page=True)

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download my data (.zip)").click()
        archive = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(archive)

        page.get_by_role("link", name="Delete my account…").click()
        page.wait_for_url(f"{base}{reverse('account_delete')}")
        page.screenshot(path=str(tmp_path / "delete_account.png"), full_page=True)
        page.fill("input[name=password]", "not my password")
        page.get_by_role("button", name="Delete my account").click()
        assert "That is not your password. Nothing was deleted." in page.locator(".field .error").inner_text()
        page.screenshot(path=str(tmp_path / "delete_wrong_password.png"), full_page=True)

        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Delete my account").click()
        page.wait_for_url(f"{base}{reverse('login')}")
        assert "Your Chorus account has been deleted" in page.locator(".messages").inner_text()
        page.screenshot(path=str(tmp_path / "deleted_logged_out.png"), full_page=True)
        browser.close()

    assert archive.name.startswith("chorus-my-data-") and archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as files:
        assert json.loads(files.read("profile.json"))["email"] == "ann@example.com"
    stub = User.objects.get(pk=ann.pk)
    assert not stub.is_active and not SocialAccount.objects.filter(user=stub).exists()
    assert networks.state.token(token, "linkedin").revoked


def test_an_admin_deletes_a_leaver(ann, networks, live_server, tmp_path):
    from accounts.roles import ADMIN

    UserFactory(roles=[ADMIN], full_name="Ada Admin", email="ada@example.com")
    base = live_server.url
    change = f"{base}{reverse('admin:accounts_user_change', args=[ann.pk])}"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.goto(f"{base}{reverse('admin:login')}")
        page.fill("input[name=username]", "ada@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.goto(change)
        page.screenshot(path=str(tmp_path / "admin_user_change.png"))
        page.get_by_role("link", name="Delete account (leaver)").click()
        page.wait_for_url(f"{base}{reverse('admin:accounts_user_delete_account', args=[ann.pk])}")
        page.screenshot(path=str(tmp_path / "admin_delete_account.png"), full_page=True)
        page.check("input[name=confirm]")
        page.fill("input[name=note]", "Left on 31 March")
        page.get_by_role("button", name="Yes, delete this account").click()
        page.wait_for_url(change)
        assert "was deleted" in page.locator(".messagelist").inner_text()
        page.screenshot(path=str(tmp_path / "admin_deleted.png"))
        browser.close()
    assert not User.objects.get(pk=ann.pk).is_active
