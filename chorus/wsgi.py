"""WSGI entry point (gunicorn chorus.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")

application = get_wsgi_application()
