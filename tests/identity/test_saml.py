"""SAML 2.0 sign-in with pysaml2 as the identity provider: a signed assertion signs in
(SP- and IdP-initiated, the person created just in time with the mapped team and role);
unsigned, tampered, expired, replayed or wrong-audience assertions are refused with a
clear message and nothing is created."""

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from axes.models import AccessAttempt
from defusedxml import ElementTree as etree
from django.test import Client, override_settings

from accounts.models import Team, User
from accounts.roles import ADVOCATE, CURATOR
from identity.models import MappingSource, SamlMessage, SsoMappingRule, SsoSettings
from identity.sso import outbound, saml
from identity.sso.admin import generate_sp_key_pair
from identity.sso.sp import sp_entity_id, sp_urls
from tests.factories import UserFactory
from tests.identity.saml_idp import (
    DEPARTMENT,
    GROUPS,
    IDP_ENTITY_ID,
    IDP_SSO_URL,
    OTHER_SP_ENTITY_ID,
    SamlIdp,
    hours_ago,
    tampered,
)
from tests.identity.sso_support import page_text

pytestmark = pytest.mark.django_db

ACS = "/sso/saml/acs/"


@pytest.fixture
def sso() -> SsoSettings:
    row = SsoSettings.load()
    row.company_name = "Acme"
    row.saml_sp_certificate, row.saml_sp_private_key = generate_sp_key_pair("testserver")
    row.saml_groups_attribute = GROUPS
    row.saml_team_attribute = DEPARTMENT
    row.save()
    return row


@pytest.fixture
def idp(sso) -> Iterator[SamlIdp]:
    server = SamlIdp(saml.sp_metadata(sso), acs_url=sp_urls()["acs"])
    server.sp_entity_id = sp_entity_id(sso)
    sso.saml_enabled = True
    sso.saml_idp_metadata_xml = server.metadata()
    sso.full_clean()
    sso.save()
    yield server
    shutil.rmtree(server.folder, ignore_errors=True)


def _user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _refused(response, words: str) -> None:
    assert response.status_code == 403, response.status_code
    text = page_text(response)
    assert "We could not sign you in" in text and words in text, text


def _nothing_happened(client: Client) -> None:
    assert _user(client) is None and not User.objects.exists()


def test_sp_metadata_names_the_acs_and_the_signing_certificate(client, sso):
    response = client.get("/sso/saml/metadata/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/samlmetadata+xml")
    root = etree.fromstring(response.content)
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert root.get("entityID") == "http://testserver/sso/saml/metadata/"
    acs = root.find(".//md:AssertionConsumerService", ns)
    assert acs.get("Location") == "http://testserver/sso/saml/acs/"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    sp = root.find("md:SPSSODescriptor", ns)
    assert sp.get("WantAssertionsSigned") == "true" and sp.get("AuthnRequestsSigned") == "true"
    certificate = sso.saml_sp_certificate.split("-----")[2].replace("\n", "")
    assert certificate in response.content.decode().replace("\n", "")
    assert "PRIVATE" not in response.content.decode()


def test_sp_initiated_sign_in_creates_the_person_with_the_mapped_team_and_role(client, sso, idp):
    emea = Team.objects.create(name="EMEA Sales")
    SsoMappingRule.objects.create(settings=sso, source=MappingSource.GROUP, value="chorus-curators", role=CURATOR)
    SsoMappingRule.objects.create(settings=sso, source=MappingSource.TEAM, value="sales-emea", team=emea)
    idp.person.update(groups=["Everyone", "chorus-curators"], department="sales-emea")

    start = client.get("/sso/saml/login/?next=/shares/")

    assert start.status_code == 302 and start["Location"].startswith(IDP_SSO_URL + "?SAMLRequest=")
    request, relay_state = idp.authn_request(start["Location"])  # its signature checked by the IdP
    forged = start["Location"].replace("RelayState=%2Fshares%2F", "RelayState=%2Fevil%2F")
    with pytest.raises(Exception, match="not signed correctly"):
        idp.authn_request(forged)
    assert request.issuer.text == "http://testserver/sso/saml/metadata/" and relay_state == "/shares/"
    response = client.post(ACS, {"SAMLResponse": idp.response(in_response_to=request.id), "RelayState": relay_state})

    assert response.status_code == 302 and response["Location"] == "/shares/"
    ann = _user(client)
    assert ann.email == "ann@example.com" and ann.full_name == "Ann Lee" and ann.team == emea
    assert ann.role_names == {ADVOCATE, CURATOR} and ann.is_advocate
    assert not SamlMessage.objects.filter(kind="request").exists()  # answered: forgotten


def test_idp_initiated_sign_in_works_for_an_existing_person_and_can_be_turned_off(client, sso, idp):
    ann = UserFactory(email="ann@example.com")
    response = client.post(ACS, {"SAMLResponse": idp.response()})
    assert response.status_code == 302 and response["Location"] == "/"
    assert _user(client) == ann and User.objects.count() == 1

    sso.saml_allow_idp_initiated = False
    sso.save()
    other = Client()
    _refused(other.post(ACS, {"SAMLResponse": idp.response()}), "does not match a sign-in Chorus started")
    assert _user(other) is None


def test_an_unsigned_assertion_is_refused_even_in_a_signed_response(client, idp):
    _refused(client.post(ACS, {"SAMLResponse": idp.response(sign_assertion=False)}), "is not signed")
    _refused(client.post(ACS, {"SAMLResponse": idp.response(sign_assertion=False, sign_response=True)}),
             "is not signed")
    _nothing_happened(client)


def test_a_tampered_assertion_is_refused(client, idp):
    forged = tampered(idp.response(), "ann@example.com", "mallory@example.com")
    _refused(client.post(ACS, {"SAMLResponse": forged}), "signature is not valid")
    _nothing_happened(client)
    assert AccessAttempt.objects.get().failures_since_start == 1  # counted like a wrong password


def test_an_expired_assertion_is_refused(client, idp):
    _refused(client.post(ACS, {"SAMLResponse": idp.response(issued_at=hours_ago(2))}), "has expired")
    _nothing_happened(client)


def test_an_assertion_within_the_clock_skew_is_accepted(client, idp, settings):
    settings.SSO_CLOCK_SKEW_SECONDS = 3 * 3600
    response = client.post(ACS, {"SAMLResponse": idp.response(issued_at=hours_ago(2))})
    assert response.status_code == 302 and _user(client).email == "ann@example.com"


def test_an_assertion_for_another_service_provider_is_refused(client, idp):
    _refused(client.post(ACS, {"SAMLResponse": idp.response(audience=OTHER_SP_ENTITY_ID)}),
             "issued for another service provider")
    _nothing_happened(client)


def test_a_replayed_assertion_is_refused(client, idp):
    saml_response = idp.response()
    assert client.post(ACS, {"SAMLResponse": saml_response}).status_code == 302
    thief = Client()
    _refused(thief.post(ACS, {"SAMLResponse": saml_response}), "already used")
    assert _user(thief) is None


def test_a_deactivated_person_is_refused(client, idp):
    UserFactory(email="ann@example.com", is_active=False)
    _refused(client.post(ACS, {"SAMLResponse": idp.response()}), "account is deactivated")
    assert _user(client) is None


def test_garbage_and_missing_answers_are_clear_refusals(client, idp):
    assert client.post(ACS, {}).status_code == 400
    _refused(client.post(ACS, {"SAMLResponse": "bm90IHhtbA=="}), "could not read")
    assert client.get(ACS).status_code == 405


def test_the_relay_state_never_redirects_off_site(client, idp):
    response = client.post(ACS, {"SAMLResponse": idp.response(), "RelayState": "https://evil.example.net/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- the IdP metadata URL: read under the SSRF policy ---------------------------------------


class MetadataServer:
    """Serves the IdP's metadata on loopback at ``url``; ``hits`` counts the requests."""

    def __init__(self, xml: str) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.hits += 1
                body = xml.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/saml/metadata"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def metadata_at_url(sso, idp) -> Iterator[MetadataServer]:
    """The IdP's metadata comes from its URL (on loopback, allowed by the test settings)."""
    server = MetadataServer(idp.metadata())
    sso.saml_idp_metadata_url, sso.saml_idp_metadata_xml = server.url, ""
    sso.full_clean()
    sso.save()
    yield server
    server.stop()


METADATA_UNREADABLE = "could not read your identity provider"


def test_the_idp_metadata_is_read_from_its_url(client, idp, metadata_at_url):
    start = client.get("/sso/saml/login/?next=/shares/")
    assert start.status_code == 302 and start["Location"].startswith(IDP_SSO_URL + "?SAMLRequest=")
    request, relay_state = idp.authn_request(start["Location"])
    response = client.post(ACS, {"SAMLResponse": idp.response(in_response_to=request.id), "RelayState": relay_state})
    assert response.status_code == 302 and _user(client).email == "ann@example.com"
    assert metadata_at_url.hits == 2  # read at each step, never cached


def test_idp_metadata_on_a_loopback_address_is_refused_unless_allowed(client, idp, metadata_at_url, caplog):
    with override_settings(SSO_ALLOWED_HOSTS=[], FETCHER_ALLOWED_HOSTS=[]):
        start = client.get("/sso/saml/login/")
        assert start.status_code == 502 and METADATA_UNREADABLE in page_text(start)
        _refused(client.post(ACS, {"SAMLResponse": idp.response()}), METADATA_UNREADABLE)
    _nothing_happened(client)
    assert metadata_at_url.hits == 0  # refused before connecting
    assert "127.0.0.1 is a loopback address" in caplog.text


def test_idp_metadata_over_the_size_limit_is_refused(client, idp, metadata_at_url, monkeypatch):
    monkeypatch.setattr(outbound, "METADATA_MAX_BYTES", 1000)
    _refused(client.post(ACS, {"SAMLResponse": idp.response()}), "metadata is too large")
    _nothing_happened(client)


def test_the_login_page_offers_saml_when_it_is_the_one_configured(client, idp):
    page = page_text(client.get("/accounts/login/"))
    assert "Sign in with Acme" in page and 'href="/sso/saml/login/"' in page
    assert IDP_ENTITY_ID not in page
