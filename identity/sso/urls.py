"""Single sign-on routes (public entry points), included at ``/sso/`` by chorus/urls.py."""

from django.urls import path

from identity.sso import views

urlpatterns = [
    path("oidc/login/", views.OidcLoginView.as_view(), name="sso_oidc_login"),
    path("oidc/callback/", views.OidcCallbackView.as_view(), name="sso_oidc_callback"),
    path("saml/login/", views.saml_login, name="sso_saml_login"),
    path("saml/acs/", views.saml_acs, name="sso_saml_acs"),
    path("saml/metadata/", views.saml_metadata, name="sso_saml_metadata"),
]
