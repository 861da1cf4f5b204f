"""A real SAML 2.0 identity provider for the single sign-on tests: pysaml2's ``Server``
with a key pair generated for the test (nothing private is committed), signing with
Debian's xmlsec1 like a production IdP would.

It answers AuthnRequests from Chorus (SP-initiated) or sends unsolicited responses
(IdP-initiated), and can misbehave: unsigned or tampered assertions, answers dated in the
past, or assertions for another service provider.
"""

import base64
import os
import tempfile
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from freezegun import freeze_time
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig, SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

from identity.sso.admin import generate_sp_key_pair

IDP_ENTITY_ID = "https://idp.example.test/saml/metadata"
IDP_SSO_URL = "https://idp.example.test/saml/sso"
OTHER_SP_ENTITY_ID = "https://other-app.example.test/saml/metadata"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME = "http://schemas.microsoft.com/identity/claims/displayname"
GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
DEPARTMENT = "department"


class SamlIdp:
    def __init__(self, sp_metadata: str, acs_url: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="chorus-test-idp-")
        cert, key = generate_sp_key_pair("idp.example.test")
        self.cert_file, self.key_file = os.path.join(self.folder, "idp.crt"), os.path.join(self.folder, "idp.key")
        for path, text in ((self.cert_file, cert), (self.key_file, key)):
            with open(path, "w") as handle:
                handle.write(text)
        self.acs_url = acs_url
        config = IdPConfig()
        config.load({
            "entityid": IDP_ENTITY_ID,
            "xmlsec_binary": settings.SSO_XMLSEC_BINARY,
            "key_file": self.key_file,
            "cert_file": self.cert_file,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(IDP_SSO_URL, BINDING_HTTP_REDIRECT),
                                                         (IDP_SSO_URL + "/post", BINDING_HTTP_POST)]},
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "want_authn_requests_signed": True,  # by the SP's key in its metadata
            }},
            "metadata": {"inline": [sp_metadata, _other_sp_metadata(acs_url)]},
        })
        self.config = config
        self.server = Server(config=config)
        self.person = {"email": "ann@example.com", "name": "Ann Lee", "groups": ["Everyone"], "department": ""}

    def metadata(self) -> str:
        return str(entity_descriptor(self.config))

    def authn_request(self, location: str):
        """The AuthnRequest in Chorus's redirect to the IdP, parsed (and its signature checked)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        request = self.server.parse_authn_request(
            query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"), signature=query.get("Signature"),
        )
        return request.message, query.get("RelayState", "")

    def response(self, *, in_response_to: str | None = None, sign_assertion: bool = True,
                 sign_response: bool = False, audience: str | None = None, issued_at: datetime | None = None) -> str:
        """A base64 SAMLResponse for the HTTP-POST binding, as the IdP's page would post it."""
        person = self.person
        identity = {EMAIL: [person["email"]], NAME: [person["name"]], GROUPS: list(person["groups"])}
        if person.get("department"):
            identity[DEPARTMENT] = [person["department"]]
        with freeze_time(issued_at) if issued_at else nullcontext():
            response = self.server.create_authn_response(
                identity=identity,
                in_response_to=in_response_to,
                destination=self.acs_url,
                sp_entity_id=audience or self.sp_entity_id,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=person["email"]),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
                sign_assertion=sign_assertion,
                sign_response=sign_response,
            )
        return base64.b64encode(str(response).encode()).decode()

    sp_entity_id = ""


def _other_sp_metadata(acs_url: str) -> str:
    config = SPConfig()
    config.load({
        "entityid": OTHER_SP_ENTITY_ID,
        "xmlsec_binary": settings.SSO_XMLSEC_BINARY,
        "service": {"sp": {"endpoints": {"assertion_consumer_service": [(acs_url, BINDING_HTTP_POST)]}}},
    })
    return str(entity_descriptor(config))


def tampered(saml_response: str, old: str, new: str) -> str:
    xml = base64.b64decode(saml_response).decode()
    assert old in xml
    return base64.b64encode(xml.replace(old, new).encode()).decode()


def hours_ago(hours: float) -> datetime:
    return datetime.now(tz=UTC) - timedelta(hours=hours)
