"""The Celery application. Configuration lives in ``chorus/settings/celery.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")


class ChorusCelery(Celery):
    def connection_for_write(self, url=None, **kwargs):
        """Connections that *publish* (producers in web requests, beat, tasks) wait at most
        ``BROKER_PUBLISH_TIMEOUT`` on a socket: a hung Redis answers nothing, and without
        this a web request would wait the consumers' 5 s for it. Consumers
        (``connection_for_read``) keep the longer timeouts."""
        from django.conf import settings

        timeout = settings.BROKER_PUBLISH_TIMEOUT
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout,
                   **(kwargs.pop("transport_options", None) or {})}
        return super().connection_for_write(url, transport_options=options, **kwargs)


app = ChorusCelery("chorus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
