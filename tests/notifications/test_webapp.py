"""The installable app's pages (manifest, service worker, offline page) and the push switch's
endpoints (subscribe, unsubscribe, forgotten at logout)."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from notifications.models import PushSubscription
from notifications.services.push import vapid_pair_generate
from tests.factories import UserFactory
from tests.notifications.push_receiver import BrowserKeys

pytestmark = pytest.mark.django_db

FCM = "https://fcm.googleapis.com/fcm/send/device-token-1"


@pytest.fixture
def vapid(settings):
    private, public = vapid_pair_generate()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY, settings.VAPID_DEV_KEY_FILE = private, public, None
    return public


def test_the_manifest_describes_an_installable_app(client):
    response = client.get(reverse("webmanifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["display"], manifest["start_url"]) == ("Chorus", "standalone", reverse("home"))
    assert manifest["theme_color"] == "#3b4cca" and manifest["background_color"] == "#f5f6fa"
    pngs = {(i["sizes"], i["purpose"]): i["src"] for i in manifest["icons"] if i["type"] == "image/png"}
    assert set(pngs) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _), src in pngs.items():
        path = finders.find(src.removeprefix("/static/"))
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == sizes and image.format == "PNG"
    with Image.open(finders.find(pngs[("512x512", "maskable")].removeprefix("/static/"))) as maskable:
        assert maskable.convert("RGBA").getpixel((0, 0))[3] == 255  # full bleed: no transparent corner


def test_the_service_worker_is_served_from_the_root_never_cached_and_caches_only_the_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    first_line, code = response.content.decode().split("\n", 1)
    config = json.loads(first_line.removeprefix("self.CHORUS = ").removesuffix(";"))
    assert config["offline"] == "/offline/" and config["logout"] == reverse("logout")
    assert all(url.startswith("/static/") for url in config["shell"])
    assert config["cache"].startswith("chorus-shell-")
    assert 'addEventListener("push"' in code and 'addEventListener("notificationclick"' in code


def test_the_offline_page_shows_nothing_about_the_person(client):
    ann = UserFactory(full_name="Ann Secret-Name")
    client.force_login(ann)
    response = client.get(reverse("offline"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You're offline" in html
    assert "Ann" not in html and "csrfmiddlewaretoken" not in html and "Log out" not in html


def test_every_portal_page_links_the_manifest_and_the_app_script(client):
    client.force_login(UserFactory())
    html = client.get(reverse("preferences")).content.decode()
    assert f'<link rel="manifest" href="{reverse("webmanifest")}">' in html
    assert 'rel="apple-touch-icon"' in html
    assert 'src="/static/js/app.js" defer data-sw="/sw.js"' in html
    assert "<script>" not in html  # no inline script (CSP)


def test_the_preferences_offer_push_only_when_it_is_set_up(client, settings):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_DEV_KEY_FILE = "", None
    client.force_login(UserFactory())
    html = client.get(reverse("preferences")).content.decode()
    assert "not set up on this Chorus server" in html and "data-push-toggle" not in html


def test_the_preferences_push_switch_carries_the_public_key(client, vapid):
    client.force_login(UserFactory())
    html = client.get(reverse("preferences")).content.decode()
    assert f'data-public-key="{vapid}"' in html
    assert 'id="push-toggle" data-push-toggle disabled' in html


def subscription(endpoint=FCM):
    return BrowserKeys().subscription_json(endpoint)


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_subscribing_records_this_browser_for_the_person(client, vapid):
    ann = UserFactory()
    client.force_login(ann)
    body = subscription()
    response = post_json(client, reverse("push_subscribe"), body)
    assert response.status_code == 201 and response.json() == {"subscribed": True}
    row = PushSubscription.objects.get()
    assert (row.user, row.endpoint, row.p256dh) == (ann, FCM, body["keys"]["p256dh"])
    # Sent again (the page repairs it on every visit): still one row.
    assert post_json(client, reverse("push_subscribe"), body).status_code == 201
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize("body", [
    "not json", [], {}, {"endpoint": FCM}, {"endpoint": FCM, "keys": {"p256dh": "x"}},
    {"endpoint": "https://attacker.example/collect", "keys": {"p256dh": "x", "auth": "y"}},
])
def test_a_bad_subscription_is_refused_with_a_reason_and_changes_nothing(client, vapid, body):
    client.force_login(UserFactory())
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(reverse("push_subscribe"), data=data, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_subscribing_without_vapid_keys_says_push_is_not_set_up(client, settings):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_DEV_KEY_FILE = "", None
    client.force_login(UserFactory())
    response = post_json(client, reverse("push_subscribe"), subscription())
    assert response.status_code == 409 and "not set up" in response.json()["error"]


def test_push_endpoints_need_a_login_and_the_csrf_token(vapid):
    from django.test import Client

    anonymous = Client()
    response = post_json(anonymous, reverse("push_subscribe"), subscription())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory())
    assert post_json(strict, reverse("push_subscribe"), subscription()).status_code == 403
    assert not PushSubscription.objects.exists()


def test_unsubscribing_removes_only_the_persons_own_subscription(client, vapid):
    ann, bob = UserFactory(), UserFactory()
    client.force_login(bob)
    assert post_json(client, reverse("push_subscribe"), subscription(FCM + "-bob")).status_code == 201
    client.force_login(ann)
    assert post_json(client, reverse("push_subscribe"), subscription()).status_code == 201

    assert post_json(client, reverse("push_unsubscribe"), {"endpoint": FCM + "-bob"}).status_code == 200
    assert post_json(client, reverse("push_unsubscribe"), {"endpoint": FCM}).json() == {"subscribed": False}
    assert list(PushSubscription.objects.values_list("user", flat=True)) == [bob.pk]
    assert post_json(client, reverse("push_unsubscribe"), {}).status_code == 400


def test_logging_out_forgets_this_browsers_subscription(client, vapid):
    ann = UserFactory()
    client.force_login(ann)
    post_json(client, reverse("push_subscribe"), subscription())
    client.force_login(ann)  # another session of Ann's: its own browser
    other = subscription(FCM + "-phone")
    post_json(client, reverse("push_subscribe"), other)

    client.post(reverse("logout"))

    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [FCM]


def test_too_many_devices_are_refused(client, vapid, settings):
    settings.PUSH_MAX_SUBSCRIPTIONS_PER_USER = 2
    client.force_login(UserFactory())
    for n in range(2):
        assert post_json(client, reverse("push_subscribe"), subscription(f"{FCM}-{n}")).status_code == 201
    response = post_json(client, reverse("push_subscribe"), subscription(f"{FCM}-3"))
    assert response.status_code == 400 and "2 devices" in response.json()["error"]


def test_generate_vapid_keys_prints_a_usable_pair(settings):
    from io import StringIO

    from django.core.management import call_command

    from notifications.services.push import vapid_keys

    out = StringIO()
    call_command("generate_vapid_keys", stdout=out, stderr=StringIO())
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = values["VAPID_PRIVATE_KEY"], values["VAPID_PUBLIC_KEY"]
    assert vapid_keys().public_key == values["VAPID_PUBLIC_KEY"]
    settings.VAPID_PUBLIC_KEY = vapid_pair_generate()[1]  # a public key of another pair
    with pytest.raises(ValueError, match="does not belong"):
        vapid_keys()


def test_a_development_key_pair_is_made_once_in_var(settings, tmp_path):
    from notifications.services.push import vapid_keys

    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = "", ""
    settings.VAPID_DEV_KEY_FILE = tmp_path / "vapid-private.txt"
    first = vapid_keys()
    assert first is not None and settings.VAPID_DEV_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert vapid_keys().public_key == first.public_key


def test_push_devices_are_in_my_data_and_deleted_with_the_account(vapid):
    from accounts.services.privacy import personal_data_sections

    ann = UserFactory()
    body = subscription()
    from notifications.services.push import subscription_save

    subscription_save(user=ann, endpoint=body["endpoint"], p256dh=body["keys"]["p256dh"], auth=body["keys"]["auth"],
                      user_agent="Firefox")
    section = next(s for s in personal_data_sections() if s.name == "push_devices")
    [row] = list(section.export(ann))
    assert (row["push_service"], row["browser"]) == ("fcm.googleapis.com", "Firefox")
    assert body["keys"]["auth"] not in str(row)
    assert section.erase(ann) == {"push devices deleted": 1} and not PushSubscription.objects.exists()


def test_bad_vapid_keys_are_reported_at_boot_and_turn_push_off(client, settings):
    from django.core import checks

    settings.VAPID_PRIVATE_KEY, settings.VAPID_DEV_KEY_FILE = "not-a-key", None
    errors = [e for e in checks.run_checks() if e.id == "notifications.E001"]
    assert len(errors) == 1 and "generate_vapid_keys" in errors[0].msg
    client.force_login(UserFactory())
    response = client.get(reverse("preferences"))
    assert response.status_code == 200 and "not set up on this Chorus server" in response.content.decode()
