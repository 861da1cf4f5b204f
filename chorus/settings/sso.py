"""Single sign-on (identity/sso): OpenID Connect and SAML 2.0.

The identity provider itself (issuer, client id, metadata, claim mapping) is configured by an
Admin in the admin (Single sign-on settings); what is here is what belongs to the machine
or must not sit in the database: secrets, the clock skew and the password-login policy.
"""

import shutil
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import AUTHENTICATION_BACKENDS as _BASE_BACKENDS
from .env import env

# Seconds of clock difference tolerated between Chorus and the identity provider when checking
# an ID token's exp/iat or an assertion's NotBefore/NotOnOrAfter.
SSO_CLOCK_SKEW_SECONDS: int = env.int("SSO_CLOCK_SKEW_SECONDS", default=120)

# Secrets kept out of the database (each wins over the value stored in the admin).
SSO_OIDC_CLIENT_SECRET: str = env.str("SSO_OIDC_CLIENT_SECRET", default="")


def _private_key() -> str:
    inline = env.str("SSO_SAML_SP_PRIVATE_KEY", default="").replace("\\n", "\n")
    path = env.str("SSO_SAML_SP_PRIVATE_KEY_FILE", default="")
    if inline or not path:
        return inline
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"SSO_SAML_SP_PRIVATE_KEY_FILE={path} cannot be read: {exc}") from exc


SSO_SAML_SP_PRIVATE_KEY: str = _private_key()

# What single sign-on fetches from the identity provider (OpenID Connect discovery, JWKS, token
# and userinfo endpoints, SAML IdP metadata) goes through the SSRF policy of every outbound
# fetch (core.ssrf): private, loopback and link-local addresses are refused. An identity
# provider on the company's private network (an on-premises Keycloak at 10.x) is allowed here:
# host names, IPs or CIDR networks, e.g. ["keycloak.corp.example", "10.20.0.0/16"]. Only
# single sign-on's fetches use this list (FETCHER_ALLOWED_HOSTS applies to them too), so
# allowing the IdP does not open the private network to links a curator pastes.
SSO_ALLOWED_HOSTS: list[str] = env.list("SSO_ALLOWED_HOSTS", default=[])

# pysaml2 checks XML signatures with Debian's xmlsec1 (apt-get install xmlsec1).
SSO_XMLSEC_BINARY: str = env.str("SSO_XMLSEC_BINARY", default=shutil.which("xmlsec1") or "/usr/bin/xmlsec1")

# Once everyone signs in through the identity provider: the password login (and the password
# reset emails) are for Admins only — their break-glass door if the provider is down.
PASSWORD_LOGIN_ADMINS_ONLY: bool = env.bool("PASSWORD_LOGIN_ADMINS_ONLY", default=False)

# Single sign-on signs people in through django.contrib.auth like the password login (so the
# lockout backend, first in base.AUTHENTICATION_BACKENDS, and the login signals apply), with
# one backend per protocol. Each answers only its own callback's credentials.
AUTHENTICATION_BACKENDS = [
    *_BASE_BACKENDS,
    "identity.sso.oidc.OidcBackend",
    "identity.sso.saml.SamlBackend",
]

# --- SCIM 2.0 provisioning (identity/scim) ---
# Requests a minute one SCIM token may make (an identity provider's sync comes in bursts); 0: no limit.
SCIM_THROTTLE_PER_MINUTE: int = env.int("SCIM_THROTTLE_PER_MINUTE", default=1200)
# A department the provider sends that matches no team creates the team; off: the person's
# team is left as it is.
SCIM_DEPARTMENT_CREATES_TEAM: bool = env.bool("SCIM_DEPARTMENT_CREATES_TEAM", default=True)
