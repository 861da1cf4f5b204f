"""OpenID Connect sign-in against a real OpenID Provider (Authlib) on loopback: the whole
flow with PKCE and nonce, just-in-time creation with the admin's mapping, and every
forged or stale ID token refused with a clear message and nothing created."""

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from accounts.lockout import LOCKED_OUT_MESSAGE, login_failed
from accounts.models import Team, User
from accounts.roles import ADMIN, ADVOCATE, APPROVER, CURATOR
from accounts.signals import person_joined
from core.fetcher import BlockedAddress, fetch
from identity.models import MappingSource, SsoMappingRule, SsoSettings
from tests.factories import UserFactory, curator
from tests.identity.oidc_provider import CLIENT_ID, OidcProvider
from tests.identity.sso_support import configure_oidc, oidc_sign_in, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    server = OidcProvider().start()
    yield server
    server.stop()


@pytest.fixture
def joined():
    """``person_joined`` sends, as (email, how)."""
    sent: list[tuple[str, str]] = []

    def receiver(sender, user, how, **kwargs):
        sent.append((user.email, how))

    person_joined.connect(receiver, dispatch_uid="test-oidc-joined")
    yield sent
    person_joined.disconnect(dispatch_uid="test-oidc-joined")


def _logged_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _rules(row: SsoSettings, *rules: tuple[str, str, Team | None, str]) -> None:
    for position, (source, value, team, role) in enumerate(rules):
        SsoMappingRule.objects.create(settings=row, source=source, value=value, team=team, role=role,
                                      position=position)


def _refused(response, words: str) -> None:
    assert response.status_code == 403, response.status_code
    text = page_text(response)
    assert "We could not sign you in" in text and words in text, text


# --- the happy path ---------------------------------------------------------------------


def test_first_sign_in_creates_the_person_with_the_mapped_team_location_and_role(
    client, provider, joined, django_capture_on_commit_callbacks
):
    sales = Team.objects.create(name="Sales")
    row = configure_oidc(provider)
    _rules(row, (MappingSource.GROUP, "chorus-curators", None, CURATOR),
           (MappingSource.TEAM, "sales-emea", sales, ""))
    provider.person.update(email="Ann.Lee@Example.com", groups=["Everyone", "chorus-curators"],
                           department="sales-emea", locality="Berlin")

    with django_capture_on_commit_callbacks(execute=True):
        response = oidc_sign_in(client, provider, next_url="/shares/")

    assert response.status_code == 302 and response["Location"] == "/shares/"
    ann = _logged_in_as(client)
    assert ann is not None and ann.email == "ann.lee@example.com" and ann.full_name == "Ann Lee"
    assert ann.team == sales and ann.location == "Berlin"
    assert ann.role_names == {ADVOCATE, CURATOR} and ann.is_staff and not ann.is_superuser
    assert ann.is_advocate and not ann.has_usable_password()
    assert joined == [("ann.lee@example.com", "sso")]
    # The provider saw a PKCE challenge and a nonce, and checked the verifier (Authlib).
    authorize, token = provider.authorize_requests[-1], provider.token_requests[-1]
    assert authorize["code_challenge_method"] == "S256" and authorize["nonce"] and authorize["state"]
    assert len(token["code_verifier"]) >= 43
    # A first sign-in opens the welcome steps once; then the portal is open.
    assert client.get("/shares/")["Location"] == "/welcome/"
    assert client.get("/shares/").status_code == 200


def test_an_existing_person_is_matched_by_verified_email_and_updated(client, provider, joined):
    marketing = Team.objects.create(name="Marketing")
    ann = curator(email="ann@example.com", full_name="Ann", password="pw-Unchanged-1")
    team_before = ann.team
    row = configure_oidc(provider)
    _rules(row, (MappingSource.GROUP, "chorus-approvers", None, APPROVER),
           (MappingSource.GROUP, "chorus-curators", None, CURATOR))
    provider.person.update(email="ANN@example.com", groups=["chorus-approvers", "Marketing"])

    response = oidc_sign_in(client, provider)

    assert response.status_code == 302
    assert _logged_in_as(client) == ann and User.objects.count() == 1 and joined == []
    ann.refresh_from_db()
    ann.__dict__.pop("role_names", None)
    # Curator is governed by a rule and Ann left its group: gone. Approver is new.
    assert ann.role_names == {ADVOCATE, APPROVER}
    assert ann.full_name == "Ann Lee"
    assert ann.team == team_before and marketing.members.count() == 0  # a group is not a team claim
    assert ann.check_password("pw-Unchanged-1")


def test_admin_only_when_a_rule_names_it(client, provider):
    row = configure_oidc(provider)
    provider.person.update(groups=["Domain Admins", "chorus-admins"])
    oidc_sign_in(client, provider)
    assert _logged_in_as(client).role_names == {ADVOCATE}

    client.logout()
    _rules(row, (MappingSource.GROUP, "chorus-admins", None, ADMIN))
    oidc_sign_in(client, provider)
    user = _logged_in_as(client)
    assert user.role_names == {ADVOCATE, ADMIN} and user.is_staff


def test_a_team_claim_naming_an_existing_team_joins_it(client, provider):
    support = Team.objects.create(name="Customer Support")
    configure_oidc(provider)
    provider.person.update(department="customer support")
    oidc_sign_in(client, provider)
    assert _logged_in_as(client).team == support


# --- refusals: nothing created, nobody logged in ----------------------------------------


def _nothing_happened(client: Client) -> None:
    assert _logged_in_as(client) is None
    assert not User.objects.exists()
    assert client.get("/shares/").status_code == 302  # to the login page


@pytest.mark.parametrize(("fault", "words"), [
    ("tamper", "signature is not valid"),
    ("wrong_audience", "issued for another application"),
    ("expired", "has expired"),
    ("wrong_issuer", "issued by another identity provider"),
])
def test_a_forged_or_stale_id_token_is_refused(client, provider, joined, fault, words):
    configure_oidc(provider)
    provider.fault = fault

    response = oidc_sign_in(client, provider)

    _refused(response, words)
    _nothing_happened(client)
    assert joined == []
    # It counts against the client like a wrong password.
    assert AccessAttempt.objects.filter(username__isnull=True).get().failures_since_start == 1


def test_an_id_token_replayed_into_another_sign_in_is_refused_by_its_nonce(client, provider):
    configure_oidc(provider)
    provider.person.update(email="first@example.com")
    oidc_sign_in(client, provider)
    first = _logged_in_as(client)
    assert first is not None

    other = Client()
    provider.person.update(email="second@example.com", sub="00u-second")
    provider.fault = "replay"  # the token endpoint hands back the first sign-in's ID token
    response = oidc_sign_in(other, provider)

    _refused(response, "(nonce)")
    assert _logged_in_as(other) is None
    assert list(User.objects.values_list("email", flat=True)) == ["first@example.com"]


def test_a_callback_used_twice_is_refused(client, provider):
    configure_oidc(provider)
    start = client.get("/sso/oidc/login/")
    callback = requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"]
    path = callback.removeprefix("http://testserver")
    assert client.get(path).status_code == 302
    client.logout()

    again = client.get(path)

    assert again.status_code == 400 and "already used" in page_text(again)
    assert _logged_in_as(client) is None


def test_a_deactivated_person_is_refused(client, provider):
    UserFactory(email="ann@example.com", is_active=False)
    configure_oidc(provider)

    response = oidc_sign_in(client, provider)

    _refused(response, "account is deactivated")
    assert _logged_in_as(client) is None


def test_an_unverified_email_is_refused_unless_the_admin_trusts_the_provider(client, provider):
    configure_oidc(provider)
    provider.person.update(email_verified=False)
    _refused(oidc_sign_in(client, provider), "did not confirm that your email address is verified")
    assert not User.objects.exists()

    configure_oidc(provider, oidc_trust_unverified_email=True)  # Entra ID sends no email_verified
    assert oidc_sign_in(client, provider).status_code == 302
    assert _logged_in_as(client).email == "ann@example.com"


def test_no_account_is_created_when_creation_is_off_or_the_domain_is_not_allowed(client, provider):
    configure_oidc(provider, create_users=False)
    _refused(oidc_sign_in(client, provider), "no Chorus account for ann@example.com")
    configure_oidc(provider, create_users=True, allowed_email_domains="acme.com, acme.co.uk")
    _refused(oidc_sign_in(client, provider), "Accounts of example.com cannot sign in")
    assert not User.objects.exists()


def test_an_account_locked_out_by_failed_passwords_cannot_sign_in_by_sso(client, provider, rf):
    UserFactory(email="ann@example.com")
    configure_oidc(provider)
    request = rf.post("/accounts/login/", REMOTE_ADDR="10.9.8.7")
    for _ in range(10):
        login_failed(request, username="ann@example.com")

    response = oidc_sign_in(client, provider)

    _refused(response, LOCKED_OUT_MESSAGE)
    assert _logged_in_as(client) is None


def test_a_client_locked_out_gets_the_lockout_page_before_the_provider_is_asked(client, provider, settings):
    configure_oidc(provider)
    settings.LOGIN_FAILURES_PER_CLIENT = 2
    provider.fault = "tamper"
    oidc_sign_in(client, provider)
    oidc_sign_in(client, provider)
    provider.fault = None
    tokens_before = len(provider.token_requests)

    response = oidc_sign_in(client, provider)

    assert response.status_code == 429 and "Too many attempts" in page_text(response)
    assert len(provider.token_requests) == tokens_before  # no code exchanged
    assert _logged_in_as(client) is None


def test_the_provider_saying_no_is_shown(client, provider):
    configure_oidc(provider)
    response = client.get("/sso/oidc/callback/?error=access_denied&error_description=Not+assigned+to+Chorus&state=x")
    _refused(response, "did not sign you in: Not assigned to Chorus")


def test_an_unreachable_provider_is_a_clear_page_not_an_error(client, provider):
    configure_oidc(provider)
    provider.stop()
    response = client.get("/sso/oidc/login/")
    assert response.status_code == 502 and "could not reach your identity provider" in page_text(response)


def test_sso_routes_are_404_until_configured(client):
    assert client.get("/sso/oidc/login/").status_code == 404
    assert client.post("/sso/saml/acs/", {"SAMLResponse": "x"}).status_code == 404


# --- the SSRF policy: every request to the provider goes through it ----------------------

UNREACHABLE = "could not reach your identity provider"
LOOPBACK_NOT_ALLOWED = override_settings(SSO_ALLOWED_HOSTS=[], FETCHER_ALLOWED_HOSTS=[])


@pytest.fixture
def provider_by_name(settings):
    """The issuer is http://localhost:<port> and only the *name* localhost is allowed, so an
    endpoint of the same server given as http://127.0.0.1:<port> is refused by the policy
    (not by the network: it would answer)."""
    settings.SSO_ALLOWED_HOSTS = ["localhost"]
    server = OidcProvider().start(host="localhost")
    yield server
    server.stop()


def test_discovery_on_a_loopback_address_is_refused_unless_allowed(client, provider, caplog):
    configure_oidc(provider)
    with LOOPBACK_NOT_ALLOWED:
        response = client.get("/sso/oidc/login/")
    assert response.status_code == 502 and UNREACHABLE in page_text(response)
    assert provider.paths == []  # refused before connecting
    assert "127.0.0.1 is a loopback address" in caplog.text
    _nothing_happened(client)


def test_discovery_at_the_callback_is_refused_unless_allowed(client, provider):
    configure_oidc(provider)
    start = client.get("/sso/oidc/login/?next=/shares/")
    approved = requests.get(start["Location"], allow_redirects=False, timeout=10)
    asked = len(provider.paths)

    with LOOPBACK_NOT_ALLOWED:
        response = client.get(approved.headers["Location"].removeprefix("http://testserver"))

    _refused(response, UNREACHABLE)
    _nothing_happened(client)
    assert provider.token_requests == [] and len(provider.paths) == asked  # no code exchanged


@pytest.mark.parametrize(("endpoint", "path", "asked_before"), [
    ("token_endpoint", "/token", ["/.well-known/openid-configuration"]),
    ("jwks_uri", "/jwks", ["/.well-known/openid-configuration", "/token"]),
    ("userinfo_endpoint", "/userinfo", ["/.well-known/openid-configuration", "/token", "/jwks"]),
])
def test_an_endpoint_the_discovery_document_puts_at_a_refused_address_is_never_asked(
    client, provider_by_name, caplog, endpoint, path, asked_before
):
    provider = provider_by_name
    provider.discovery_overrides[endpoint] = provider.url(path)  # the same server, by its loopback address
    configure_oidc(provider)

    response = oidc_sign_in(client, provider)

    _refused(response, UNREACHABLE)
    _nothing_happened(client)
    assert path not in provider.paths
    callback = provider.paths[provider.paths.index("/authorize") + 1:]
    assert callback == asked_before
    assert "127.0.0.1 is a loopback address" in caplog.text


def test_a_provider_allowed_by_name_signs_in(client, provider_by_name):
    configure_oidc(provider_by_name)
    response = oidc_sign_in(client, provider_by_name)
    assert response.status_code == 302 and _logged_in_as(client).email == "ann@example.com"
    assert {"/token", "/jwks", "/userinfo"} <= set(provider_by_name.paths)


def test_the_client_authenticates_with_http_basic_when_the_provider_takes_only_that(client, provider):
    provider.discovery_overrides["token_endpoint_auth_methods_supported"] = ["client_secret_basic"]
    configure_oidc(provider)
    assert oidc_sign_in(client, provider).status_code == 302 and _logged_in_as(client) is not None
    token = provider.token_requests[-1]
    assert token["client_id"] == CLIENT_ID and "client_secret" not in token  # in the Authorization header


def test_fetcher_allowed_hosts_admits_the_provider_too(client, provider, settings):
    settings.SSO_ALLOWED_HOSTS, settings.FETCHER_ALLOWED_HOSTS = [], ["127.0.0.1"]
    configure_oidc(provider)
    assert oidc_sign_in(client, provider).status_code == 302 and _logged_in_as(client) is not None


def test_sso_allowed_hosts_opens_nothing_but_single_sign_on(provider):
    # The test settings allow 127.0.0.1 for single sign-on only: a link preview is still refused.
    with pytest.raises(BlockedAddress, match="loopback"):
        fetch(provider.issuer + "/.well-known/openid-configuration", accept=("application/json",))
    assert provider.paths == []


# --- the login page and the password door ----------------------------------------------


def test_the_login_page_offers_sign_in_with_the_company(client, provider):
    assert "Sign in with" not in page_text(client.get("/accounts/login/"))
    configure_oidc(provider)
    page = page_text(client.get("/accounts/login/?next=/shares/"))
    assert "Sign in with Acme" in page and 'href="/sso/oidc/login/?next=%2Fshares%2F"' in page
    assert "<script" not in page.split("<main", 1)[1] and "style=" not in page


def test_password_login_can_be_kept_for_admins_only(client, settings, provider):
    configure_oidc(provider)
    settings.PASSWORD_LOGIN_ADMINS_ONLY = True
    UserFactory(email="ann@example.com", password="Ann-Passw0rd!")
    boss = UserFactory(email="boss@example.com", password="Boss-Passw0rd!", roles=[ADMIN, ADVOCATE])
    curator(email="cu@example.com", password="Cu-Passw0rd!")

    page = client.post("/accounts/login/", {"username": "ann@example.com", "password": "Ann-Passw0rd!"})
    assert page.status_code == 200 and "Password login is turned off for your account" in page_text(page)
    assert _logged_in_as(client) is None
    admin_page = client.post("/admin/login/", {"username": "cu@example.com", "password": "Cu-Passw0rd!"})
    assert "Password login is turned off" in page_text(admin_page) and _logged_in_as(client) is None

    ok = client.post("/accounts/login/", {"username": "boss@example.com", "password": "Boss-Passw0rd!"})
    assert ok.status_code == 302 and _logged_in_as(client) == boss
    assert "Administrators: log in with a password" in page_text(Client().get("/accounts/login/"))


def test_password_reset_emails_only_admins_when_password_login_is_admins_only(client, settings, mailoutbox):
    settings.PASSWORD_LOGIN_ADMINS_ONLY = True
    UserFactory(email="ann@example.com")
    UserFactory(email="boss@example.com", roles=[ADMIN])

    assert client.post("/accounts/password/reset/", {"email": "ann@example.com"}).status_code == 302
    assert client.post("/accounts/password/reset/", {"email": "boss@example.com"}).status_code == 302

    assert [m.to for m in mailoutbox] == [["boss@example.com"]]


def test_only_admins_configure_single_sign_on(client):
    assert Group.objects.get(name=ADMIN).permissions.filter(codename="change_ssosettings").exists()
    for role in (CURATOR, APPROVER):
        assert not Group.objects.get(name=role).permissions.filter(content_type__app_label="identity").exists()
