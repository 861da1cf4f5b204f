"""`manage.py check --deploy` is clean with the production environment of .env.example."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TOKEN_KEY = "q8n1B0z8G2w4lK0Jw1kJb0Zq3wYb7cQ9sVq2m7Qk0xA="
# Everything security-related the README documents for production (all are also the
# defaults with DEBUG=0; set explicitly here so the documented values are what is tested).
PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "chorus.example.com",
    "SITE_URL": "https://chorus.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://chorus.example.com",
    "BEHIND_TLS_PROXY": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "DEMO_APPS": "0",
}
OURS = {
    "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "DJANGO_SETTINGS_MODULE", *PRODUCTION,
    "CSP_EXTRA_IMG_SRC", "CSP_EXTRA_FORM_ACTION", "CSP_REPORT_URI",
}


def check_deploy(*, documented: bool = True, **overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    env.update(PRODUCTION if documented else {"DEBUG": "0", "ALLOWED_HOSTS": "chorus.example.com"})
    env.update(
        DJANGO_SETTINGS_MODULE="chorus.settings",
        SECRET_KEY=secrets.token_urlsafe(50),  # 67 random characters
        TOKEN_ENCRYPTION_KEYS=TOKEN_KEY,
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_in_the_documented_production_environment():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_the_defaults_with_debug_off_are_the_production_ones():
    # Only DEBUG=0, ALLOWED_HOSTS and the two secrets: every security setting is its default.
    result = check_deploy(documented=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_weak_configuration_warns():
    result = check_deploy(
        SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0",
    )
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, result.stderr


def test_a_weak_secret_key_warns():
    result = check_deploy(SECRET_KEY="short-and-not-random")
    assert result.returncode != 0 and "security.W009" in result.stderr
