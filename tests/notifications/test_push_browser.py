"""The installable app in Chromium: the manifest as the browser parses it, the service worker
registered for the whole site, the offline page, caches emptied at logout, and the push switch
(the permission prompt only after a click, then the subscription saved on the server).

Headless Chromium has no push service here (no network: a real ``pushManager.subscribe()``
fails with "push service not available"), so the page's ``PushManager.subscribe`` is replaced
by a stand-in that records its arguments and returns a subscription made from keys this test
generated, as a browser would. Everything around it is real: the permission request, the
service worker's registration, the page's POST with its CSRF token and the server's checks.
The sending side, with real encryption, is tests/notifications/test_push.py.
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from notifications.models import PushSubscription
from notifications.services.push import vapid_pair_generate
from tests.browser import launch_chromium
from tests.factories import UserFactory
from tests.notifications.push_receiver import BrowserKeys

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
ENDPOINT = "https://fcm.googleapis.com/fcm/send/browser-test-device"

# Counts permission requests and stands in for the push service (see the module docstring).
INIT_SCRIPT = """
(() => {
  window.__push = { permissionRequests: 0, subscribeCalls: [] };
  const realRequest = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = function () {
    window.__push.permissionRequests += 1;
    return realRequest();
  };
  const subscription = SUBSCRIPTION;
  let current = null;
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  PushManager.prototype.subscribe = function (options) {
    window.__push.subscribeCalls.push({
      userVisibleOnly: options.userVisibleOnly,
      key: btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
        .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""),
    });
    current = {
      endpoint: subscription.endpoint,
      toJSON: () => subscription,
      unsubscribe: () => { current = null; return Promise.resolve(true); },
    };
    return Promise.resolve(current);
  };
})();
"""


CACHED_PATHS = ("caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))"
                ".then(all => all.flat().map(r => new URL(r.url).pathname).sort())")


def orm(query):
    """Run an ORM query from a plain thread: Playwright's sync API runs an event loop in this
    one, where Django refuses database calls."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(query).result()


def subscriptions() -> list[tuple]:
    return orm(lambda: list(PushSubscription.objects.values_list("user_id", "endpoint", "auth", "user_agent")))


def shots(page, folder, name) -> None:
    """Full-page screenshots at a phone's and a laptop's width, scrolled to the top (the sticky
    header would otherwise be drawn where the page was scrolled to); no sideways scrolling."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(folder / f"{name}_{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)


def serious(results) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.fixture
def ann(db, settings, live_server):
    settings.SITE_URL = live_server.url
    private, public = vapid_pair_generate()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY, settings.VAPID_DEV_KEY_FILE = private, public, None
    return UserFactory(full_name="Ann Lee", email="ann@example.com")


def test_install_offline_and_push_switch(ann, settings, live_server, tmp_path):
    base = live_server.url
    keys = BrowserKeys().subscription_json(ENDPOINT)
    axe = Axe()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(INIT_SCRIPT.replace("SUBSCRIPTION", json.dumps(keys)))
        context.grant_permissions(["notifications"], origin=base)
        page = context.new_page()
        page.goto(f"{base}{reverse('login')}")
        page.fill("input[name=username]", "ann@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}{reverse('home')}")

        # The manifest, as Chromium reads it.
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == f"{base}{reverse('webmanifest')}"
        assert manifest["errors"] == []
        parsed = json.loads(manifest["data"])
        assert parsed["display"] == "standalone" and parsed["start_url"] == reverse("home")

        # The service worker controls the whole site.
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == f"{base}/"
        page.reload()
        assert page.evaluate("navigator.serviceWorker.controller && navigator.serviceWorker.controller.scriptURL") \
            == f"{base}/sw.js"
        cached = page.evaluate(CACHED_PATHS)
        assert "/offline/" in cached and "/static/css/chorus.css" in cached
        assert not any(path in cached for path in ("/", "/accounts/me/preferences/", "/notifications/"))

        # Preferences: nothing is asked on load.
        page.goto(f"{base}{reverse('preferences')}")
        toggle = page.locator("#push-toggle")
        expect(toggle).to_be_enabled()
        expect(page.locator("#push-status")).to_have_text("Off on this device.")
        assert page.evaluate("window.__push") == {"permissionRequests": 0, "subscribeCalls": []}
        assert subscriptions() == []
        results = axe.run(page)
        assert serious(results) == [], serious(results)

        # The click asks, subscribes with our key, and the server records this browser.
        toggle.check()
        expect(page.locator("#push-status")).to_have_text(re.compile("^On: "))
        calls = page.evaluate("window.__push")
        assert calls["permissionRequests"] == 1
        assert calls["subscribeCalls"] == [{"userVisibleOnly": True, "key": settings.VAPID_PUBLIC_KEY}]
        [(user_id, endpoint, auth, user_agent)] = subscriptions()
        assert (user_id, endpoint, auth) == (ann.pk, ENDPOINT, keys["keys"]["auth"])
        assert "Chrome" in user_agent
        shots(page, tmp_path, "preferences_push")

        # Off again: the server forgets it.
        toggle.uncheck()
        expect(page.locator("#push-status")).to_have_text("Off on this device.")
        assert subscriptions() == []

        # Offline, a page is the offline page (never a stored copy of a private page).
        context.set_offline(True)
        page.goto(f"{base}{reverse('my_shares')}")
        assert page.locator("h1").inner_text() == "You're offline"
        assert "Ann" not in page.content()
        shots(page, tmp_path, "offline")
        results = axe.run(page)
        assert serious(results) == [], serious(results)
        context.set_offline(False)

        # Logging out empties every cache (here one a page script could have filled), and the
        # worker fetches the shell again, without cookies.
        page.goto(f"{base}{reverse('preferences')}")
        page.evaluate("caches.open('left-behind').then(c => c.put('/accounts/me/preferences/', new Response('Ann')))")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{base}{reverse('login')}")
        for _ in range(50):  # the worker does it while the logout goes through
            if page.evaluate(CACHED_PATHS) == cached:
                break
            page.wait_for_timeout(100)
        assert "left-behind" not in page.evaluate("caches.keys()")
        assert page.evaluate(CACHED_PATHS) == cached
        browser.close()
