"""Core Django settings, read from the environment."""

from .env import BASE_DIR, DEBUG, env

VAR_DIR = BASE_DIR / "var"

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME: str = env.str("SITE_NAME", default="Chorus")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "csp",  # Content-Security-Policy (chorus/settings/security.py)
    "auditlog",  # the audit log (core/audit.py)
    "axes",  # login lockouts (chorus/settings/security.py, accounts/lockout.py)
    "django_filters",  # API list filters (chorus/settings/api.py)
    "drf_spectacular",  # the OpenAPI schema (/api/schema/)
    "drf_spectacular_sidecar",  # its docs UI, served from our static files
    # Chorus, lowest layer first (the import contracts in pyproject.toml keep it so).
    "core",
    "accounts",
    "content",
    "advocacy",
    "analytics",
    "notifications",
    "identity",  # single sign-on (OIDC, SAML) and SCIM provisioning
    "webhooks",  # signed outbound webhooks
]
# The sandbox networks and the demo data (their commands: run_sandbox, seed_demo) are for
# trying Chorus and for tests; production leaves them out and nothing else imports them.
DEMO_APPS: bool = env.bool("DEMO_APPS", default=DEBUG)
if DEMO_APPS:
    INSTALLED_APPS += ["sandbox", "demo"]

MIDDLEWARE = [
    # Request metrics (django-prometheus) and the request id every log line carries
    # (chorus/settings/observability.py): first, so they see everything below.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "chorus.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "chorus.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL byte in the path, query or form is a clean 400 before anything reads it.
    "core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every audit entry written during a request names its user and address.
    "auditlog.middleware.AuditlogMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The current social media policy is accepted before the portal opens (advocacy/middleware.py).
    "advocacy.middleware.PolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Turns a refused login into the lockout page. Keep it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chorus.urls"
WSGI_APPLICATION = "chorus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus.context_processors.site",
                "csp.context_processors.nonce",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

# SQLite under var/ is the embedded default; PostgreSQL in production.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'chorus.sqlite3'}"),
}
# SQLite as a real embedded default (web, worker and beat share one file):
# - WAL lets readers go on while one process writes;
# - a busy timeout makes a writer wait for the lock instead of failing at once;
# - BEGIN IMMEDIATE takes the write lock when a transaction starts. A deferred
#   transaction that read first and then writes cannot wait for the lock (SQLite answers
#   "database is locked" at once, whatever the timeout) — the way rollup and heartbeat
#   tasks failed under `make run` (tests/chorus/test_sqlite_embedded.py shows both cases).
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(SQLITE_OPTIONS)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL: the hot statements (the API token check, the feed's person query, ...) run as
# prepared statements, planned once per connection (core.compiled.prepared_cursor). Turn off
# behind a pooler that cannot keep them (pgbouncer in transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The axes backend goes first: it refuses a locked-out account or client before the
# password is checked (it authenticates no one itself).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# A link typed without a scheme in a form ("example.com/post") gets https://, not http://
# (Django 6's default; remove this line then).
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# In development whitenoise serves straight from the app folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Invitations expire after this many seconds (default 7 days).
INVITATION_MAX_AGE: int = env.int("INVITATION_MAX_AGE", default=7 * 24 * 3600)
# Employee CSV imports larger than this are refused before parsing.
EMPLOYEE_IMPORT_MAX_BYTES: int = env.int("EMPLOYEE_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
EMPLOYEE_IMPORT_MAX_ROWS: int = env.int("EMPLOYEE_IMPORT_MAX_ROWS", default=20000)

# LOG_LEVEL, LOG_FORMAT (text or json) and LOGGING: chorus/settings/observability.py.

# The SSRF-safe fetcher refuses private, loopback and link-local addresses except these
# (host names, IPs or CIDR networks). Only for tests and the local demo.
FETCHER_ALLOWED_HOSTS: list[str] = env.list(
    "FETCHER_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
# PEM bundle for HTTPS certificate checks (behind a TLS-inspecting proxy); empty: certifi's.
FETCHER_CA_BUNDLE: str = env.str("FETCHER_CA_BUNDLE", default="")

# The audit log (django-auditlog; core/audit.py). Masked fields (secrets) show no character.
AUDITLOG_MASK_CALLABLE = "core.audit.mask"
# Entries hold before → after as JSON (searchable), not only as text.
AUDITLOG_STORE_JSON_CHANGES = True
