"""Single sign-on: OpenID Connect (mozilla-django-oidc) and SAML 2.0 (pysaml2).

Both protocols end in the same place, ``provisioning.sso_user_sign_in``: one set of
rules for who may come in (verified email, allowed domain, active account, no lockout),
just-in-time creation and the mapping of claims to team, location and roles.
"""
