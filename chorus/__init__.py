"""Chorus project package and the sharing & engagement domain.

The Celery app is imported here so that ``@shared_task`` binds to it whenever
Django starts (web, worker, beat, management commands).
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
