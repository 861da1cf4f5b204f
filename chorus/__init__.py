"""The Chorus project package: settings, URLs, the Celery app, WSGI/ASGI and health.

The Celery app is imported here so that ``@shared_task`` binds to it whenever
Django starts (web, worker, beat, management commands).
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
