"""The identity app's models, one module per concern: SCIM provisioning in ``scim``
(single sign-on adds its own module here)."""

from .scim import ProvisionedTeam, ProvisionedUser, ScimToken
from .sso import MappingSource, SamlMessage, SamlMessageKind, SsoMappingRule, SsoSettings

__all__ = [
    "ProvisionedTeam", "ProvisionedUser", "ScimToken",
    "MappingSource", "SamlMessage", "SamlMessageKind", "SsoMappingRule", "SsoSettings",
]
