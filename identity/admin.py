"""The identity app's admin pages, one module per concern (``identity.scim.admin``; single
sign-on adds its own)."""

from identity.scim import admin as scim_admin  # noqa: F401  (registers ScimTokenAdmin)
from identity.sso import admin as sso_admin  # noqa: F401  (registers SsoSettingsAdmin)
