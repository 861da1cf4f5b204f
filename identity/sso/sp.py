"""Chorus as a SAML service provider: its URLs, entity id and key, without pysaml2.

Kept apart from ``saml`` so that the admin (loaded by every process at start) does not
import pysaml2, whose XML schemas take about a second and a half to load.
"""

from django.conf import settings
from django.urls import reverse

from identity.models import SsoSettings


def sp_urls() -> dict[str, str]:
    """Chorus's own SAML URLs, from SITE_URL (what the IdP is told, whatever the request's host)."""
    return {
        "metadata": settings.SITE_URL + reverse("sso_saml_metadata"),
        "acs": settings.SITE_URL + reverse("sso_saml_acs"),
        "login": settings.SITE_URL + reverse("sso_saml_login"),
    }


def sp_entity_id(row: SsoSettings) -> str:
    return row.saml_sp_entity_id.strip() or sp_urls()["metadata"]


def sp_private_key(row: SsoSettings) -> str:
    return settings.SSO_SAML_SP_PRIVATE_KEY or row.saml_sp_private_key
