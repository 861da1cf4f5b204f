"""In a real browser: an employee opens the login page, clicks “Sign in with Acme”, the
OpenID Provider (Authlib, on loopback) approves, and they land on the feed, signed in.

Headless Chromium (Debian's package, driven by Playwright) against pytest-django's live
server. The ORM is used only before Playwright starts and after it stops. Set
CHORUS_SCREENSHOTS=<dir> to keep the screenshots (default: the test's tmp dir).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from accounts.models import Team, User
from accounts.roles import ADVOCATE, CURATOR
from identity.models import MappingSource, SsoMappingRule
from tests.browser import launch_chromium
from tests.identity.oidc_provider import OidcProvider
from tests.identity.sso_support import configure_oidc

pytestmark = pytest.mark.browser


@pytest.fixture
def provider():
    server = OidcProvider().start()
    yield server
    server.stop()


def test_sign_in_with_the_company_from_the_login_page(live_server, provider, tmp_path, settings):
    settings.SITE_URL = live_server.url
    provider.redirect_uris.append(f"{live_server.url}/sso/oidc/callback/")
    provider.person.update(email="ann@example.com", name="Ann Lee", groups=["chorus-curators"], department="Sales")
    sales = Team.objects.create(name="Sales")
    row = configure_oidc(provider)
    SsoMappingRule.objects.create(settings=row, source=MappingSource.GROUP, value="chorus-curators", role=CURATOR)
    shots = Path(os.environ.get("CHORUS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    csp_violations: list[str] = []

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{live_server.url}/accounts/login/")
        button = page.get_by_role("link", name="Sign in with Acme")
        assert button.is_visible()
        page.screenshot(path=str(shots / "sso-login-page.png"), full_page=True)

        button.click()
        # A first sign-in through SSO opens the welcome steps (the policy first when one is set).
        page.wait_for_url(f"{live_server.url}/welcome/**")
        main_nav = page.get_by_role("navigation", name="Main")
        assert "Ann" in main_nav.inner_text()
        assert "Marketing admin" in main_nav.inner_text()  # Curator, mapped from the group
        page.screenshot(path=str(shots / "sso-signed-in.png"), full_page=True)
        context.close()
        browser.close()

    print(f"\nscreenshots: {shots / 'sso-login-page.png'} and {shots / 'sso-signed-in.png'}")  # noqa: T201
    assert not csp_violations, csp_violations
    ann = User.objects.get(email="ann@example.com")
    assert ann.team == sales and ann.role_names == {ADVOCATE, CURATOR}
