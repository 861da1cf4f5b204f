"""The welcome steps and the social media policy gate (advocacy.views.onboarding,
advocacy.middleware)."""

import pytest
from django.urls import reverse

from accounts.roles import ADMIN
from advocacy.models import Onboarding, PolicyAcceptance, PolicyVersion, ProgrammeSettings, Share, TopicFollow
from advocacy.services.onboarding import (
    WELCOME_SESSION_KEY,
    policy_accept,
    policy_current,
    policy_publish,
    topics_follow_set,
)
from tests.factories import SocialAccountFactory, TopicFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee")
    client.force_login(user)
    return user


def publish(text: str = "Be kind. Disclose that you work here.") -> PolicyVersion:
    return policy_publish(text=text, actor=None)


# --- the policy ---------------------------------------------------------------------------


def test_a_new_text_is_a_new_version_and_the_same_text_is_not():
    first = publish("Rule one.")
    assert first.number == 1 and policy_publish(text="Rule one.\r\n", actor=None) is None
    second = publish("Rule one.\n\nRule two.")
    assert second.number == 2 and policy_current() == second
    assert list(PolicyVersion.objects.values_list("number", flat=True)) == [2, 1]
    # Emptying it is a version too: no policy from then on.
    assert publish("").number == 3 and policy_current() is None


def test_portal_pages_ask_for_the_policy_and_come_back_after(client, ann):
    version = publish()
    feed = client.get(reverse("my_shares") + "?page=1")
    policy_url = reverse("onboarding_policy")
    assert feed.status_code == 302 and feed.url == f"{policy_url}?next=%2Fshares%2F%3Fpage%3D1"
    page = client.get(feed.url)
    assert page.status_code == 200 and "Be kind. Disclose that you work here." in page.content.decode()
    answer = client.post(policy_url, {"version": version.pk, "next": "/shares/?page=1"})
    assert answer.status_code == 302 and answer.url == "/shares/?page=1"
    acceptance = PolicyAcceptance.objects.get(user=ann)
    assert acceptance.version == version and acceptance.accepted_at is not None
    assert client.get(reverse("home")).status_code == 200


def test_a_new_version_asks_again_at_the_next_page_view(client, ann):
    policy_accept(user=ann, version=publish("v1"))
    assert client.get(reverse("home")).status_code == 200
    newer = publish("v2: also, no client names.")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("onboarding_policy"))
    page = client.get(response.url).content.decode()
    assert "Our social media policy has changed" in page and "no client names" in page
    client.post(reverse("onboarding_policy"), {"version": newer.pk})
    assert list(PolicyAcceptance.objects.filter(user=ann).values_list("version__number", flat=True)) == [2, 1]
    assert client.get(reverse("home")).status_code == 200


def test_accepting_a_version_that_was_replaced_meanwhile_is_refused(client, ann):
    old = publish("v1")
    publish("v2")
    response = client.post(reverse("onboarding_policy"), {"version": old.pk})
    assert response.status_code == 400 and "changed while you were reading" in response.content.decode()
    assert not PolicyAcceptance.objects.exists()


@pytest.mark.parametrize("path", [
    "/accounts/me/preferences/", "/accounts/me/data/", "/api/v1/me/", "/healthz", "/admin/",
])
def test_the_gate_never_blocks_accounts_api_admin_or_health(client, ann, path):
    publish()
    response = client.get(path)
    location = response.get("Location", "") or ""
    assert not location.startswith(reverse("onboarding_policy")), path


def test_logout_is_never_blocked(client, ann):
    publish()
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and not response.url.startswith(reverse("onboarding_policy"))
    assert client.get(reverse("home")).status_code == 302  # logged out: the login page now


def test_api_token_requests_are_not_redirected(client):
    from accounts.services.api_tokens import api_token_create

    user = UserFactory()
    publish()
    token = api_token_create(user=user, name="script", scope="read", expires_in_days=30).plain
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["email"] == user.email


def test_no_policy_means_no_gate(client, ann):
    assert client.get(reverse("home")).status_code == 200
    response = client.get(reverse("onboarding_policy") + "?next=/shares/")
    assert response.status_code == 302 and response.url == "/shares/"


def test_admin_saving_a_changed_policy_publishes_a_version_and_the_default_time_zone(client):
    from accounts.models import CompanyDefaults

    client.force_login(UserFactory(roles=[ADMIN], is_staff=True))
    settings_row = ProgrammeSettings.load()
    url = reverse("admin:advocacy_programmesettings_change", args=[settings_row.pk])
    page = client.get(url)
    assert page.status_code == 200 and "No policy yet" in page.content.decode()
    form = {"x_monthly_budget": "100.00", "social_media_policy": "Only share what you believe.",
            "default_timezone": "Europe/Berlin"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # saved again unchanged: no new version
    assert list(PolicyVersion.objects.values_list("number", "text")) == [(1, "Only share what you believe.")]
    assert CompanyDefaults.load().default_timezone == "Europe/Berlin"
    page = client.get(url).content.decode()
    assert "current: accepted by 0 of" in page


def test_admin_refuses_an_unknown_default_time_zone(client):
    from accounts.models import CompanyDefaults

    client.force_login(UserFactory(roles=[ADMIN], is_staff=True))
    url = reverse("admin:advocacy_programmesettings_change", args=[ProgrammeSettings.load().pk])
    response = client.post(url, {"x_monthly_budget": "100.00", "social_media_policy": "",
                                 "default_timezone": "Mars/Olympus"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert CompanyDefaults.load().default_timezone == "UTC"


# --- the welcome steps ----------------------------------------------------------------------


def test_the_steps_in_order_with_progress(client, ann):
    version = publish()
    TopicFactory(name="Cloud")
    start = client.get(reverse("onboarding"))
    assert start.url == reverse("onboarding_policy")
    assert Onboarding.objects.get(user=ann).finished_at is None
    assert "Step 1 of 4" in client.get(start.url).content.decode()
    after_policy = client.post(start.url, {"version": version.pk})
    assert after_policy.url == reverse("onboarding_topics")
    assert "Step 2 of 4" in client.get(after_policy.url).content.decode()
    after_topics = client.post(after_policy.url, {})
    assert after_topics.url == reverse("onboarding_connect")
    connect = client.get(after_topics.url).content.decode()
    assert "Step 3 of 4" in connect
    # Connecting comes back straight to the first post (one click fewer).
    assert f"{reverse('connect', args=['linkedin'])}?next=/welcome/share/" in connect
    assert "Step 4 of 4" in client.get(reverse("onboarding_share")).content.decode()


def test_without_policy_or_topics_there_are_two_steps(client, ann):
    start = client.get(reverse("onboarding"))
    assert start.url == reverse("onboarding_connect")
    assert "Step 1 of 2" in client.get(start.url).content.decode()


def test_topics_step_preselects_required_ones_and_cannot_drop_them(client, ann):
    required = TopicFactory(name="Company news", required=True)
    cloud = TopicFactory(name="Cloud")
    TopicFactory(name="Security")
    page = client.get(reverse("onboarding_topics")).content.decode()
    assert 'type="checkbox" checked disabled' in page and "required" in page
    client.post(reverse("onboarding_topics"), {"topics": [cloud.pk, required.pk]})
    assert set(TopicFollow.objects.filter(user=ann).values_list("topic__name", flat=True)) == {"Cloud"}
    response = client.post(reverse("onboarding_topics"), {"topics": ["999999"]})
    assert response.status_code == 400  # not a topic: nothing changes
    assert set(TopicFollow.objects.filter(user=ann).values_list("topic__name", flat=True)) == {"Cloud"}


def test_topics_are_editable_in_preferences(client, ann):
    cloud, security = TopicFactory(name="Cloud"), TopicFactory(name="Security")
    topics_follow_set(user=ann, topic_ids=[cloud.pk])
    assert reverse("topic_preferences") in client.get(reverse("preferences")).content.decode()
    page = client.get(reverse("topic_preferences")).content.decode()
    assert f'value="{cloud.pk}" checked' in page and f'value="{security.pk}" checked' not in page
    response = client.post(reverse("topic_preferences"), {"topics": [security.pk]})
    assert response.url == reverse("preferences")
    assert list(TopicFollow.objects.filter(user=ann).values_list("topic__name", flat=True)) == ["Security"]


def test_first_post_is_the_top_of_the_feed_and_shares_in_one_click(client, ann, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queued is enough here
    cloud = TopicFactory(name="Cloud")
    published_item(title="Newest, not followed")
    followed = published_item(title="Cloud story", url="https://example.com/cloud")
    followed.topics.add(cloud)
    topics_follow_set(user=ann, topic_ids=[cloud.pk])
    SocialAccountFactory(user=ann, network="linkedin")
    page = client.get(reverse("onboarding_share"))
    html = page.content.decode()
    assert "Cloud story" in html and "Newest, not followed" not in html
    key = page.context["idempotency_key"]
    response = client.post(reverse("onboarding_share"), {"networks": ["linkedin"], "idempotency_key": key,
                                                          "text_linkedin": "My first share"})
    assert response.status_code == 302 and response.url == reverse("my_shares")
    [share] = Share.objects.filter(user=ann)
    assert share.item == followed and share.text == "My first share" and share.network == "linkedin"
    assert Onboarding.objects.get(user=ann).finished_at is not None


def test_first_post_without_a_network_is_refused_clearly(client, ann):
    published_item(title="Story")
    SocialAccountFactory(user=ann, network="linkedin")
    response = client.post(reverse("onboarding_share"), {"idempotency_key": "k1"})
    assert response.status_code == 400 and "Choose at least one network" in response.content.decode()
    assert not Share.objects.exists()


def test_skipping_the_last_step_finishes_onboarding(client, ann):
    client.get(reverse("onboarding"))
    assert client.post(reverse("onboarding_skip")).url == reverse("home")
    assert Onboarding.objects.get(user=ann).finished_at is not None


def test_first_single_sign_on_opens_the_welcome_steps_once(client, rf):
    from django.contrib.auth.signals import user_logged_in

    newcomer, veteran = UserFactory(), UserFactory()
    Onboarding.objects.create(user=veteran)
    for user, expected in ((newcomer, True), (veteran, False)):
        client.force_login(user)
        request = rf.get("/")
        request.session = client.session
        user.backend = "identity.sso.oidc.OidcBackend"
        user_logged_in.send(sender=type(user), request=request, user=user)
        assert request.session.get(WELCOME_SESSION_KEY, False) is expected
    # A password sign-in does not (tests and admins sign in that way).
    request = rf.get("/")
    request.session = client.session
    newcomer.backend = "django.contrib.auth.backends.ModelBackend"
    user_logged_in.send(sender=type(newcomer), request=request, user=newcomer)
    assert WELCOME_SESSION_KEY not in request.session


def test_the_welcome_flag_redirects_the_next_portal_page_once(client, ann):
    session = client.session
    session[WELCOME_SESSION_KEY] = True
    session.save()
    assert client.get(reverse("my_shares")).url == reverse("onboarding")
    assert client.get(reverse("my_shares")).status_code == 200


def test_the_feed_checks_the_policy_in_its_own_query(client, ann, django_assert_num_queries):
    """The portal feed reads the version in force with its page query (the middleware leaves
    it the check): it asks for the policy as every portal page does, keeps where one was
    going, and an emptied policy asks nothing."""
    publish("v1")
    response = client.get(reverse("home") + "?page=2")
    assert response.status_code == 302
    assert response.url == f"{reverse('onboarding_policy')}?next=%2F%3Fpage%3D2"
    assert not PolicyAcceptance.objects.filter(user=ann).exists()
    policy_accept(user=ann, version=PolicyVersion.objects.get())
    assert client.get(reverse("home")).status_code == 200
    publish("")  # emptied: no policy from now on
    with django_assert_num_queries(3):  # session, user, the page's one query (no policy query)
        assert client.get(reverse("home")).status_code == 200
