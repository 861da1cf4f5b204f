"""``{% sso_sign_in_options next as sso %}``: the login page's “Sign in with <company>” buttons
(``sso.buttons``) and whether the password form is for Admins only (``sso.admins_only``)."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from identity.models import SsoSettings
from identity.sso.oidc import oidc_enabled

register = template.Library()


@register.simple_tag
def sso_sign_in_options(next_url: str = "") -> dict:
    return {"buttons": _buttons(next_url), "admins_only": settings.PASSWORD_LOGIN_ADMINS_ONLY}


def _buttons(next_url: str) -> list[dict[str, str]]:
    """One button per enabled protocol (usually one), labelled with the company's name."""
    row = SsoSettings.current()
    company = row.company_name or settings.SITE_NAME
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    options = []
    if oidc_enabled(row):
        options.append({"url": reverse("sso_oidc_login") + query, "label": f"Sign in with {company}"})
    if row.saml_enabled:
        label = f"Sign in with {company}" + (" (SAML)" if options else "")
        options.append({"url": reverse("sso_saml_login") + query, "label": label})
    return options
