"""The public API (``/api/v1/``): authentication, throttling, pagination, the schema."""

from .env import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Personal API tokens ("Authorization: Bearer chorus_..."), made in the portal.
        "accounts.api_auth.PersonalTokenAuthentication",
        # The portal's own JavaScript (CSRF-checked).
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # A read-only token never writes.
        "accounts.api_auth.TokenScopePermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.ClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Per personal token (or per signed-in person for the portal's own calls).
        "client": env.str("API_THROTTLE_RATE", default="600/minute"),
    },
    "EXCEPTION_HANDLER": "core.api.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ISO 8601 with the offset (the default), never a bare local time.
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Chorus API",
    "DESCRIPTION": (
        "The open API of Chorus, the employee advocacy platform. Authenticate with a personal "
        "API token (`Authorization: Bearer chorus_...`, made under *API tokens* in the portal) "
        "or, from the portal's own pages, the session. Every error has one shape: "
        '`{"error": {"code": "...", "message": "...", "field": "..."}}`.'
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are public, like the code they describe.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the networks' choice set, whichever field carries it (networks, share_again, ...).
    "ENUM_NAME_OVERRIDES": {"NetworkEnum": "content.models.Network"},
    # The one error shape, documented on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
    ],
}
