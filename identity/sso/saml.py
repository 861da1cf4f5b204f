"""SAML 2.0 sign-in, on pysaml2 (the library djangosaml2 wraps; its XML signatures are
checked by Debian's ``xmlsec1``).

Chorus is the service provider (SP) of one identity provider (IdP) configured in the admin.
pysaml2 checks the response: the assertion's signature by a key in the IdP's metadata
(signed assertions are required), Destination and Recipient (our ACS URL), NotBefore and
NotOnOrAfter (with ``SSO_CLOCK_SKEW_SECONDS``), the audience (our entity id) and, for
SP-initiated sign-in, InResponseTo. Chorus adds: an audience restriction must be there at
all, an assertion signs in once (replays are refused), and the requests it sent are
remembered in the database, so any web process can take the answer. The IdP metadata URL
is read through ``identity.sso.outbound``, under the SSRF policy.
"""

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import AuthnResponse
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_UNSPECIFIED

from accounts.models import User
from core.fetcher import FetchError, TooLarge
from identity.models import SamlMessage, SamlMessageKind, SsoSettings
from identity.sso import outbound
from identity.sso.errors import SsoRefused, remember_refusal
from identity.sso.provisioning import SignInOnly, SsoIdentity, sso_user_sign_in
from identity.sso.sp import sp_entity_id, sp_private_key, sp_urls

logger = logging.getLogger(__name__)

NOT_SET_UP = "Sign-in with SAML is not set up."
REQUEST_LIFETIME = timedelta(minutes=15)


def idp_metadata(row: SsoSettings) -> str:
    if not row.saml_idp_metadata_url:
        return row.saml_idp_metadata_xml.strip()
    try:
        answer = outbound.get(row.saml_idp_metadata_url, accept=outbound.METADATA_TYPES,
                              max_bytes=outbound.METADATA_MAX_BYTES)
    except TooLarge as exc:
        logger.warning("saml: IdP metadata at %s: %s", row.saml_idp_metadata_url, exc.reason)
        raise SsoRefused("Your identity provider's metadata is too large. Tell your Chorus administrator.") from exc
    except FetchError as exc:  # refused by the SSRF policy, unreachable, not XML, ...
        logger.warning("saml: IdP metadata at %s: %s", row.saml_idp_metadata_url, exc.reason)
        raise SsoRefused("Chorus could not read your identity provider's metadata. Try again in a minute; "
                         "if it keeps happening, tell your Chorus administrator.") from exc
    try:
        return answer.body.decode(answer.charset or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return answer.body.decode("utf-8", "replace")


@contextmanager
def saml_client(row: SsoSettings, *, with_idp: bool = True) -> Iterator[Saml2Client]:
    """A pysaml2 client for this SP. xmlsec1 reads keys from files: they live in a private
    temporary folder for the length of the ``with`` block only."""
    if with_idp and not (row.saml_enabled and (row.saml_idp_metadata_url or row.saml_idp_metadata_xml.strip())):
        raise SsoRefused(NOT_SET_UP)
    urls = sp_urls()
    cert, key = row.saml_sp_certificate.strip(), sp_private_key(row).strip()
    with tempfile.TemporaryDirectory(prefix="chorus-saml-") as folder:
        conf: dict[str, Any] = {
            "entityid": sp_entity_id(row),
            "xmlsec_binary": settings.SSO_XMLSEC_BINARY,
            "accepted_time_diff": settings.SSO_CLOCK_SKEW_SECONDS,
            "allow_unknown_attributes": True,
            "service": {"sp": {
                "name": settings.SITE_NAME,
                "endpoints": {"assertion_consumer_service": [(urls["acs"], BINDING_HTTP_POST)]},
                "allow_unsolicited": row.saml_allow_idp_initiated,
                "want_assertions_signed": True,
                "want_response_signed": False,  # the assertion's signature is the one required
                "only_use_keys_in_metadata": True,
                "authn_requests_signed": bool(cert and key),
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_UNSPECIFIED],
                "name_id_format_allow_create": True,
            }},
        }
        if cert and key:
            key_file, cert_file = os.path.join(folder, "sp.key"), os.path.join(folder, "sp.crt")
            for path, text in ((key_file, key), (cert_file, cert)):
                with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                    handle.write(text + "\n")
            conf.update(key_file=key_file, cert_file=cert_file,
                        encryption_keypairs=[{"key_file": key_file, "cert_file": cert_file}])
        if with_idp:
            conf["metadata"] = {"inline": [idp_metadata(row)]}
        sp_config = SPConfig()
        try:
            sp_config.load(conf)
        except Exception as exc:  # pysaml2 raises plain exceptions for unreadable metadata
            logger.warning("saml: configuration refused: %s", exc)
            raise SsoRefused("Chorus's SAML configuration could not be loaded (the IdP metadata or the SP "
                             "certificate). Tell your Chorus administrator.") from exc
        yield Saml2Client(config=sp_config)


def saml_check(row: SsoSettings) -> None:
    """Raise ``SsoRefused`` if the configuration (IdP metadata, SP key pair) cannot be loaded."""
    with saml_client(row):
        pass


def sp_metadata(row: SsoSettings) -> str:
    with saml_client(row, with_idp=False) as client:
        return str(entity_descriptor(client.config))


# --- the requests Chorus sent, and the assertions it consumed --------------------------


class OutstandingRequests:
    """pysaml2's ``outstanding_queries`` mapping, in the database (any process may get the answer)."""

    def __bool__(self) -> bool:
        return True

    def __contains__(self, request_id: object) -> bool:
        return isinstance(request_id, str) and SamlMessage.objects.filter(
            kind=SamlMessageKind.REQUEST, message_id=request_id, expires_at__gt=timezone.now()
        ).exists()

    def __getitem__(self, request_id: str) -> str:
        if request_id not in self:
            raise KeyError(request_id)
        return "/"

    def keys(self) -> list[str]:
        return []


def saml_start(row: SsoSettings, *, relay_state: str) -> str:
    """The IdP URL that starts an SP-initiated sign-in (HTTP-Redirect binding)."""
    with saml_client(row) as client:
        signed = client.authn_requests_signed
        request_id, info = client.prepare_for_authenticate(
            relay_state=relay_state, binding=BINDING_HTTP_REDIRECT, sign=signed,
            **({"sigalg": xmldsig.SIG_RSA_SHA256, "digest_alg": xmldsig.DIGEST_SHA256} if signed else {}),
        )
    now = timezone.now()
    SamlMessage.objects.filter(expires_at__lt=now).delete()
    SamlMessage.objects.create(kind=SamlMessageKind.REQUEST, message_id=request_id, expires_at=now + REQUEST_LIFETIME)
    return dict(info["headers"])["Location"]


def _consume(response: AuthnResponse) -> None:
    """Each assertion signs in once; the request it answers is forgotten."""
    expires = response.not_on_or_after or 0
    until = datetime.fromtimestamp(expires, tz=UTC) if expires else timezone.now() + timedelta(days=1)
    until += timedelta(seconds=settings.SSO_CLOCK_SKEW_SECONDS)
    try:
        with transaction.atomic():
            SamlMessage.objects.create(kind=SamlMessageKind.ASSERTION, message_id=response.assertion.id,
                                       expires_at=until)
    except IntegrityError:
        raise SsoRefused("The sign-in was refused: this SAML assertion was already used. "
                         "Start again from the login page.") from None
    if response.in_response_to:
        SamlMessage.objects.filter(kind=SamlMessageKind.REQUEST, message_id=response.in_response_to).delete()


_ERRORS = (
    # (words in pysaml2's exception or its class name, what the person is told)
    ("Signature missing", "the identity provider's assertion is not signed (Chorus requires signed assertions)."),
    ("Signature", "the assertion's signature is not valid (it was altered, or signed with another key)."),
    ("ResponseLifetimeExceed", "the assertion has expired (if this keeps happening, check the server clocks)."),
    ("ToEarly", "the assertion is not valid yet (check the server clocks)."),
    ("AudienceRestrictions", "the assertion was issued for another service provider (audience)."),
    ("Unsolicited", "the answer does not match a sign-in Chorus started."),
    ("I don't recall", "the answer does not match a sign-in Chorus started."),
    ("recipient", "the assertion was sent to another address (recipient)."),
    ("destination", "the answer was sent to another address (destination)."),
    ("Status", "your identity provider did not sign you in."),
)


def _refusal(exc: Exception) -> SsoRefused:
    text = f"{type(exc).__name__} {exc}"
    for words, told in _ERRORS:
        if words.lower() in text.lower():
            return SsoRefused(f"The sign-in was refused: {told} Start again from the login page.")
    return SsoRefused("The sign-in was refused: Chorus could not read your identity provider's answer. "
                      "Start again from the login page.")


def _attributes(response: AuthnResponse) -> dict[str, list[str]]:
    """Attribute values by their Name and FriendlyName (as the IdP sent them)."""
    values: dict[str, list[str]] = {}
    for statement in response.assertion.attribute_statement or []:
        for attribute in statement.attribute:
            texts = [v.text.strip() for v in attribute.attribute_value if v.text and v.text.strip()]
            for name in {attribute.name, attribute.friendly_name} - {None, ""}:
                values.setdefault(name, []).extend(texts)
    return values


def _first(values: dict[str, list[str]], name: str) -> str:
    found = values.get(name) or next((v for k, v in values.items() if k.lower() == name.lower()), [])
    return found[0] if found and name else ""


def identity_from_response(response: AuthnResponse, row: SsoSettings) -> SsoIdentity:
    values = _attributes(response)
    name_id = response.name_id
    email = _first(values, row.saml_email_attribute) if row.saml_email_attribute else ""
    if not email and name_id is not None and (name_id.format or "") in ("", NAMEID_FORMAT_EMAILADDRESS,
                                                                          NAMEID_FORMAT_UNSPECIFIED):
        email = (name_id.text or "").strip()
    groups = values.get(row.saml_groups_attribute, []) if row.saml_groups_attribute else []
    return SsoIdentity(
        protocol="saml",
        email=email,
        full_name=_first(values, row.saml_name_attribute) if row.saml_name_attribute else "",
        groups=tuple(groups),
        team=_first(values, row.saml_team_attribute) if row.saml_team_attribute else "",
        location=_first(values, row.saml_location_attribute) if row.saml_location_attribute else "",
    )


def saml_verify(row: SsoSettings, saml_response: str) -> SsoIdentity:
    """The identity in a base64 SAMLResponse (HTTP-POST binding), once every check passed."""
    with saml_client(row) as client:
        try:
            response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, OutstandingRequests())
        except Exception as exc:  # pysaml2 raises many types, plain Exception among them
            logger.info("saml: response refused: %s: %s", type(exc).__name__, exc)
            raise _refusal(exc) from None
    if response is None or response.assertion is None:
        raise _refusal(ValueError("no assertion"))
    conditions = response.assertion.conditions
    if conditions is None or not conditions.audience_restriction:
        # pysaml2 accepts an assertion without one; the Web SSO profile requires it.
        raise _refusal(ValueError("AudienceRestrictions missing"))
    identity = identity_from_response(response, row)
    _consume(response)
    return identity


class SamlBackend(SignInOnly, ModelBackend):
    """Signs in the person of a verified SAML assertion (``authenticate(request, saml_identity=…)``),
    through ``django.contrib.auth`` so that the lockout and login signals apply."""

    def authenticate(self, request: HttpRequest | None, saml_identity: SsoIdentity | None = None,  # type: ignore[override]
                     **kwargs: Any) -> User | None:
        if request is None or saml_identity is None or kwargs:
            return None
        try:
            return sso_user_sign_in(request=request, identity=saml_identity)
        except SsoRefused as exc:
            raise remember_refusal(request, exc) from None
