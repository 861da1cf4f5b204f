"""The settings refuse to boot without required secrets when DEBUG is off."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHECK = "import django; django.setup(); from django.conf import settings; print('BOOTED', settings.DEBUG)"


def boot(check: str = CHECK, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "TOKEN_ENCRYPTION_KEYS", "DEMO_APPS"}}
    clean["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_refuses_to_boot_without_secret_key_when_not_debug():
    result = boot(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "BOOTED" not in result.stdout


def test_refuses_without_token_keys_when_not_debug():
    result = boot(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0 and "TOKEN_ENCRYPTION_KEYS is not set" in result.stderr


def test_boots_in_debug_with_dev_defaults():
    result = boot(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "BOOTED True" in result.stdout


def test_boots_in_production_with_secrets():
    result = boot(DEBUG="0", SECRET_KEY="x" * 50, TOKEN_ENCRYPTION_KEYS="q8n1B0z8G2w4lK0Jw1kJb0Zq3wYb7cQ9sVq2m7Qk0xA=")
    assert result.returncode == 0, result.stderr
    assert "BOOTED False" in result.stdout


# Everything a production process loads: apps, URLs, admin, every tasks module.
LOAD_ALL = (
    "import sys, django; django.setup(); import chorus.urls; from django.contrib import admin; "
    "admin.autodiscover(); from celery import current_app; current_app.loader.import_default_modules(); "
    "from django.conf import settings; "
    "print('APPS', [a for a in settings.INSTALLED_APPS if a in ('sandbox', 'demo')]); "
    "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in ('sandbox', 'demo')))"
)


def test_production_loads_neither_the_sandbox_nor_the_demo():
    result = boot(LOAD_ALL, DEBUG="0", SECRET_KEY="x" * 50,
                  TOKEN_ENCRYPTION_KEYS="q8n1B0z8G2w4lK0Jw1kJb0Zq3wYb7cQ9sVq2m7Qk0xA=")
    assert result.returncode == 0, result.stderr
    assert "APPS []" in result.stdout and "LOADED []" in result.stdout


def test_development_installs_the_sandbox_and_demo_apps():
    result = boot(LOAD_ALL, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "APPS ['sandbox', 'demo']" in result.stdout


def test_the_sandbox_address_follows_its_port():
    """make run starts the sandbox on SANDBOX_PORT: Chorus must post there, not to 8765."""
    check = ("import django; django.setup(); from django.conf import settings; "
             "print('URL', settings.SANDBOX_URL, settings.X_API_URL)")
    moved = boot(check, DEBUG="1", SANDBOX_PORT="8124")
    assert moved.returncode == 0, moved.stderr
    assert "URL http://127.0.0.1:8124 http://127.0.0.1:8124/x" in moved.stdout
    pinned = boot(check, DEBUG="1", SANDBOX_PORT="8124", SANDBOX_URL="http://sandbox.internal:9000")
    assert "URL http://sandbox.internal:9000 " in pinned.stdout
